"""Multi-output training: a spec whose ``training:`` section validates also compiles and fits, and the static
checks (E600-E602) reject what Keras itself fails on.

``specs/two_tower_multitask.yaml`` (two inputs, two named outputs) is compared with the same network written by
hand in Keras (names, counts, the compiled losses and metrics), and both are fitted a few steps on one synthetic
batch (fixed seeds). Each accepted form of ``loss`` / ``loss_weights`` / ``metrics`` (mappings, lists in output
order, one name for every output) is compiled and fitted for a step; the forms archc rejects are given to Keras
as they are, to show that Keras fails on them too.
"""

from __future__ import annotations

import gc
import re
from pathlib import Path
from typing import Any, Iterator

import numpy as np
import pytest

import archcompiler

kerasutil = pytest.importorskip("kerasutil")
keras = kerasutil.keras

pytestmark = pytest.mark.keras

SPEC = Path(__file__).resolve().parents[2] / "specs" / "two_tower_multitask.yaml"
TEXT = SPEC.read_text(encoding="utf-8")


@pytest.fixture(autouse=True)
def _seeded() -> Iterator[None]:
    keras.backend.clear_session()
    keras.utils.set_random_seed(0)
    yield
    keras.backend.clear_session()
    gc.collect()


def by_hand() -> keras.Model:
    """The spec's network written with Keras's functional API."""
    L = keras.layers
    image = keras.Input((32, 32, 3), name="image")
    tabular = keras.Input((12,), name="tabular")
    x = L.Conv2D(16, 3, padding="same", activation="relu", name="image_conv1")(image)
    x = L.MaxPooling2D(2, name="image_pool")(x)
    x = L.Conv2D(32, 3, padding="same", activation="relu", name="image_conv2")(x)
    x = L.GlobalAveragePooling2D(name="image_gap")(x)
    x = L.Dense(32, activation="relu", name="image_dense")(x)
    t = L.Dense(32, activation="relu", name="tabular_dense1")(tabular)
    t = L.BatchNormalization(name="tabular_bn")(t)
    t = L.Dense(32, activation="relu", name="tabular_dense2")(t)
    h = L.Concatenate(name="towers")([x, t])
    h = L.Dense(64, activation="relu", name="trunk_dense")(h)
    h = L.Dropout(0.2, name="trunk_dropout")(h)
    category = L.Dense(10, activation="softmax", name="category")(h)
    price = L.Dense(1, name="price")(h)
    return keras.Model([image, tabular], [category, price], name="two_tower_multitask")


def data(n: int = 32) -> tuple[list[np.ndarray], dict[str, np.ndarray]]:
    """A synthetic batch: the category follows the mean of the features, the price their sum."""
    rng = np.random.default_rng(0)
    image = rng.uniform(0, 1, (n, 32, 32, 3)).astype("float32")
    tabular = rng.normal(size=(n, 12)).astype("float32")
    category = np.digitize(tabular.mean(axis=1), np.linspace(-0.6, 0.6, 9)).astype("int32")
    price = tabular.sum(axis=1, keepdims=True).astype("float32") / 4
    return [image, tabular], {"category": category, "price": price}


def fit(model: keras.Model, steps: int) -> dict[str, list[float]]:
    x, y = data()
    return model.fit(x, y, batch_size=len(x[0]), epochs=steps, shuffle=False, verbose=0).history


def with_training(section: str) -> archcompiler.Compilation:
    """The spec with its training section replaced by ``section`` (YAML, indented under ``training:``)."""
    text = re.sub(r"\ntraining:\n(  .*\n)+", "\ntraining:\n" + section, TEXT)
    assert text != TEXT
    return archcompiler.compile_text(text, "two_tower_multitask.yaml")


def test_the_spec_builds_the_hand_written_network() -> None:
    comp = archcompiler.load(SPEC)
    model = comp.to_keras()
    ref = by_hand()
    assert [layer.name for layer in model.layers] == [layer.name for layer in ref.layers]
    assert [type(layer) for layer in model.layers] == [type(layer) for layer in ref.layers]
    assert model.output_names == ref.output_names == ["category", "price"]
    assert [tuple(o.shape) for o in model.outputs] == [tuple(o.shape) for o in ref.outputs]
    assert (model.count_params(), *kerasutil.split_params(model)) == \
        (ref.count_params(), *kerasutil.split_params(ref)) == (12619, 12555, 64)
    total = comp.stats.total
    assert (total.total, total.trainable, total.non_trainable) == (12619, 12555, 64)


def test_it_fits_as_the_hand_written_model_compiled_the_same_way() -> None:
    """Built after the same seed, the two have the same initial weights and dropout masks, so they fit alike."""
    comp = archcompiler.load(SPEC)
    keras.utils.set_random_seed(1)
    model = comp.to_keras()
    assert type(model.optimizer).__name__ == "Adam"
    keras.utils.set_random_seed(1)
    ref = by_hand()
    for a, b in zip(model.get_weights(), ref.get_weights()):
        np.testing.assert_array_equal(a, b)
    ref.compile(optimizer=keras.optimizers.Adam(0.001),
                loss={"category": "sparse_categorical_crossentropy", "price": "mse"},
                loss_weights={"category": 1.0, "price": 0.5},
                metrics={"category": ["accuracy"], "price": ["mae"]})
    ours = fit(model, steps=15)
    theirs = fit(ref, steps=15)
    assert sorted(ours) == sorted(theirs) == ["category_accuracy", "category_loss", "loss", "price_loss",
                                               "price_mae"]
    for k in ours:
        np.testing.assert_allclose(ours[k], theirs[k], rtol=1e-4, atol=1e-6, err_msg=k)
    assert np.mean(ours["loss"][-3:]) < ours["loss"][0], ours["loss"]


def test_loss_weights_are_matched_by_output_name() -> None:
    """The total loss is the weighted sum of the outputs' losses, whatever the order of the mapping's keys (Keras
    alone, given a list of losses and a mapping of weights, would take the weights in sorted key order)."""
    comp = with_training("  loss: [sparse_categorical_crossentropy, mse]\n"
                         "  loss_weights: {price: 0.25, category: 2.0}\n")
    model = comp.to_keras()
    model.trainable = False  # evaluate only: the losses of one state
    x, y = data()
    got = model.evaluate(x, y, batch_size=len(x[0]), verbose=0, return_dict=True)
    assert got["loss"] == pytest.approx(2.0 * got["category_loss"] + 0.25 * got["price_loss"], rel=1e-5)


FORMS = {
    "lists in output order": "  loss: [sparse_categorical_crossentropy, mse]\n  loss_weights: [1.0, 0.5]\n"
                             "  metrics: [[accuracy], [mae, mse]]\n",
    "one metric name per output": "  loss: [sparse_categorical_crossentropy, mse]\n  metrics: [accuracy, mae]\n",
    "metrics for one output": "  loss: {price: mse, category: sparse_categorical_crossentropy}\n"
                              "  metrics: {category: accuracy}\n",
    "one loss for every output": "  loss: mse\n  loss_weights: {category: 0.1, price: 1}\n",
    "optimizer and loss only": "  optimizer: sgd\n  loss: {category: sparse_categorical_crossentropy, price: mae}\n",
}


@pytest.mark.parametrize("section", FORMS.values(), ids=FORMS.keys())
def test_every_accepted_form_compiles_and_fits(section: str) -> None:
    model = with_training(section).to_keras()
    x, y = data()
    if section.startswith("  loss: mse"):  # one loss for both outputs: the category as a one-hot target
        y = {**y, "category": keras.utils.to_categorical(y["category"], 10)}
    history = model.fit(x, y, batch_size=len(x[0]), epochs=2, verbose=0).history
    assert {"loss", "category_loss", "price_loss"} <= set(history)
    assert all(np.isfinite(v).all() for v in history.values())


#: Sections archc rejects, with the code, and the same arguments as Keras takes them.
REJECTED: dict[str, tuple[str, str, dict[str, Any]]] = {
    "metrics: [accuracy] for two outputs": (
        "  loss: [sparse_categorical_crossentropy, mse]\n  metrics: [accuracy]\n", "E601",
        {"loss": ["sparse_categorical_crossentropy", "mse"], "metrics": ["accuracy"]}),
    "a loss mapping without an output": (
        "  loss: {category: sparse_categorical_crossentropy}\n", "E601",
        {"loss": {"category": "sparse_categorical_crossentropy"}}),
    "a misspelt output": (
        "  loss: {category: sparse_categorical_crossentropy, prize: mse}\n", "E600",
        {"loss": {"category": "sparse_categorical_crossentropy", "prize": "mse"}}),
    "one loss, weights per output": (
        "  loss: [sparse_categorical_crossentropy, mse]\n  loss_weights: 0.5\n", "E601",
        {"loss": ["sparse_categorical_crossentropy", "mse"], "loss_weights": 0.5}),
    "three metric entries for two outputs": (
        "  loss: [sparse_categorical_crossentropy, mse]\n  metrics: [accuracy, mae, mse]\n", "E601",
        {"loss": ["sparse_categorical_crossentropy", "mse"], "metrics": ["accuracy", "mae", "mse"]}),
    "a loss weights mapping without an output": (
        "  loss: {category: sparse_categorical_crossentropy, price: mse}\n  loss_weights: {category: 1.0}\n", "E601",
        {"loss": {"category": "sparse_categorical_crossentropy", "price": "mse"}, "loss_weights": {"category": 1.0}}),
}


@pytest.mark.parametrize("case", REJECTED.values(), ids=REJECTED.keys())
def test_what_archc_rejects_keras_fails_on(case: tuple[str, str, dict[str, Any]]) -> None:
    section, code, arguments = case
    with pytest.raises(archcompiler.CompileError) as info:
        with_training(section)
    assert {d.code for d in info.value.diagnostics} == {code}
    model = by_hand()
    with pytest.raises((ValueError, KeyError, TypeError)):
        model.compile(optimizer="adam", **arguments)
        fit(model, steps=1)


def test_integer_labels_on_one_unit_are_rejected_and_keras_cannot_train_them() -> None:
    """E602's first rule: an integer-label loss on an output of one unit. Keras compiles it, and the first fit
    with any label but 0 fails."""
    with pytest.raises(archcompiler.CompileError) as info:
        with_training("  loss: {category: sparse_categorical_crossentropy, price: sparse_categorical_crossentropy}\n")
    assert [d.code for d in info.value.diagnostics] == ["E602"] and "'price'" in info.value.diagnostics[0].message
    model = by_hand()
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
    x, y = data()
    with pytest.raises(Exception, match="label value"):
        model.fit(x, {"category": y["category"], "price": y["category"]}, batch_size=len(x[0]), epochs=1,
                  verbose=0)
