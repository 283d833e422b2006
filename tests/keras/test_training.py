"""Training smoke tests: models built from specs with a ``training:`` section come compiled and learn.

Each model is fitted for a few full-batch steps on one small synthetic batch (fixed seeds) with the optimizer,
loss and metrics of its spec, and the training loss must go down. This checks that ``to_keras()`` compiles with
the spec's settings and that gradients flow through every layer; it says nothing about accuracy.
"""

from __future__ import annotations

import gc
from pathlib import Path
from typing import Iterator

import numpy as np
import pytest

import archcompiler

kerasutil = pytest.importorskip("kerasutil")
keras = kerasutil.keras

pytestmark = pytest.mark.keras

SPECS = Path(__file__).resolve().parents[2] / "specs"


@pytest.fixture(autouse=True)
def _seeded() -> Iterator[None]:
    keras.backend.clear_session()
    keras.utils.set_random_seed(0)
    yield
    keras.backend.clear_session()
    gc.collect()


def fit_losses(model: keras.Model, x: np.ndarray, y: np.ndarray, steps: int) -> list[float]:
    history = model.fit(x, y, batch_size=len(x), epochs=steps, shuffle=False, verbose=0)
    return history.history["loss"]


def test_happy_model_learns() -> None:
    """Adam at the tutorial's default rate overshoots on the first steps (the classifier sees 32,768 features), so
    the test runs 20 steps and compares the last five with the first."""
    model = archcompiler.load(SPECS / "happy_model.yaml").to_keras()
    assert type(model.optimizer).__name__ == "Adam"
    rng = np.random.default_rng(0)
    x = rng.uniform(0, 1, (16, 64, 64, 3)).astype("float32")
    y = (x.mean(axis=(1, 2, 3)) > 0.5).astype("float32")[:, None]  # "smiling" = the brighter pictures
    losses = fit_losses(model, x, y, steps=20)
    assert np.mean(losses[-5:]) < 0.5 * losses[0], losses
    assert "accuracy" in model.get_metrics_result()


def test_linear_regression_learns() -> None:
    model = archcompiler.load(SPECS / "linear_regression.yaml").to_keras()
    assert type(model.optimizer).__name__ == "SGD"
    assert float(model.optimizer.learning_rate) == pytest.approx(0.01)
    rng = np.random.default_rng(0)
    x = rng.normal(size=(64, 1)).astype("float32")
    y = (3 * x + 2).astype("float32")
    losses = fit_losses(model, x, y, steps=20)
    assert losses[-1] < 0.8 * losses[0], losses


def test_preact_resnet_cifar_learns() -> None:
    model = archcompiler.load(SPECS / "preact_resnet_cifar.yaml").to_keras()
    opt = model.optimizer
    assert type(opt).__name__ == "SGD" and float(opt.momentum) == pytest.approx(0.9)
    rng = np.random.default_rng(0)
    x = rng.normal(size=(16, 32, 32, 3)).astype("float32")
    y = keras.utils.to_categorical(rng.integers(0, 10, 16), 10)
    losses = fit_losses(model, x, y, steps=5)
    assert losses[-1] < losses[0], losses


def test_compile_false_leaves_the_model_uncompiled() -> None:
    model = archcompiler.load(SPECS / "happy_model.yaml").to_keras(compile=False)
    assert not model.compiled


def test_compile_true_needs_a_training_section() -> None:
    comp = archcompiler.load(SPECS / "squeezenet.yaml")
    assert not comp.to_keras().compiled  # no training section: not compiled by default
    with pytest.raises(ValueError, match="no training section"):
        comp.to_keras(compile=True)


def test_the_optimizer_is_built_by_the_first_fit_as_with_keras_compile() -> None:
    """to_keras() compiles as model.compile() does: the optimizer's slots (for Adam, a moment and a velocity per
    trainable weight) are made by the first fit, not allocated up front."""
    model = archcompiler.load(SPECS / "happy_model.yaml").to_keras()
    by_hand = archcompiler.load(SPECS / "happy_model.yaml").to_keras(compile=False)
    by_hand.compile(optimizer="adam", loss="binary_crossentropy", metrics=["accuracy"])
    assert not model.optimizer.built and len(model.optimizer.variables) == len(by_hand.optimizer.variables) == 2
    rng = np.random.default_rng(0)
    x = rng.uniform(0, 1, (4, 64, 64, 3)).astype("float32")
    y = rng.integers(0, 2, (4, 1)).astype("float32")
    fit_losses(model, x, y, steps=1)
    assert model.optimizer.built
    assert len(model.optimizer.variables) == 2 + 2 * len(model.trainable_variables)
