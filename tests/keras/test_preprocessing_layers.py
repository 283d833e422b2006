"""Layers with state beyond trainable weights, and the shape errors archc reports before Keras would.

Normalization keeps its mean and variance as non-trainable weights unless they are given: the model archc builds
must take them from ``adapt()`` called on its layer, from another model's layer of the same name
(``load_weights_by_name``, also from a ``.weights.h5`` file) and from a saved ``.keras`` file, and then compute what
a hand-written Keras model with the same statistics computes. Given as constants, they must give what Keras's layer
made with the same constants gives.

Dropout's ``noise_shape`` only matters in training, where a mask that does not broadcast against the input fails
at the first step: archc checks it statically, and Keras, run in training mode, must accept exactly what archc
accepts. The other shape errors of the new layer types are checked against Keras the same way.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest

from archcompiler.backends.keras import load_weights_by_name, save_model
from archcompiler.layers import REGISTRY, ShapeError
from archcompiler.pipeline import compile_text

kerasutil = pytest.importorskip("kerasutil")
keras = kerasutil.keras

pytestmark = [pytest.mark.keras, pytest.mark.usefixtures("fresh_keras")]



def spec(norm: str, shape: str = "[4, 5, 3]") -> str:
    return f"""
archspec: 1
name: standardise
model:
  inputs:
    x: {{shape: {shape}}}
  layers:
    - Normalization: {norm}
    - Dense: {{units: 2, name: head, kernel_initializer: {{glorot_uniform: {{seed: 0}}}}}}
"""


def hand_written(shape: tuple[int, ...] = (4, 5, 3), **norm: Any) -> keras.Model:
    x = keras.Input(shape=shape, name="x")
    y = keras.layers.Normalization(name="normalize", **norm)(x)
    y = keras.layers.Dense(2, name="head", kernel_initializer=keras.initializers.GlorotUniform(seed=0))(y)
    return keras.Model(x, y)


def data(shape: tuple[int, ...] = (4, 5, 3), n: int = 32, seed: int = 0) -> np.ndarray:
    """Inputs far from standardised: each channel with its own offset and scale."""
    rng = np.random.default_rng(seed)
    return (rng.normal(size=(n, *shape)) * [2.0, 0.5, 3.0][: shape[-1]] + [10.0, -4.0, 1.0][: shape[-1]]
            ).astype("float32")


def arguments_reach_keras(comp: Any, model: keras.Model) -> None:
    """Every argument of the spec's layers is in the Keras layers' configs (the check every bundled spec gets)."""
    from test_oracle_specs import check_arguments

    check_arguments(comp, model)


def same_outputs(a: keras.Model, b: keras.Model, x: np.ndarray) -> None:
    ya, yb = np.asarray(a(x, training=False)), np.asarray(b(x, training=False))
    assert float(np.std(ya)) > 0
    assert np.max(np.abs(ya - yb)) <= 1e-5


def test_adapt_on_the_built_model() -> None:
    built = compile_text(spec("{name: normalize}"), "n.yaml").to_keras()
    ref = hand_written()
    train = data()
    built.get_layer("normalize").adapt(train)
    ref.get_layer("normalize").adapt(train)
    mean, variance, count = built.get_layer("normalize").get_weights()
    assert mean.shape == variance.shape == (3,) and count.shape == ()
    assert mean == pytest.approx(train.mean(axis=(0, 1, 2)), abs=1e-4)
    same_outputs(ref, built, data(seed=1))
    # standardised: each channel of the training data has mean 0 and variance 1 after the layer
    norm = keras.Model(built.inputs[0], built.get_layer("normalize").output)
    out = np.asarray(norm(train))
    assert out.mean(axis=(0, 1, 2)) == pytest.approx([0, 0, 0], abs=1e-4)
    assert out.var(axis=(0, 1, 2)) == pytest.approx([1, 1, 1], abs=1e-3)


@pytest.mark.parametrize("norm, keras_args", [
    ("{name: normalize}", {}),
    ("{axis: [1, 2], invert: true, name: normalize}", {"axis": (1, 2), "invert": True}),
    ("{axis: null, name: normalize}", {"axis": None}),
])
def test_adapted_statistics_load_by_name(norm: str, keras_args: dict, tmp_path: Path) -> None:
    ref = hand_written(**keras_args)
    ref.get_layer("normalize").adapt(data())
    comp = compile_text(spec(norm), "n.yaml")
    built = comp.to_keras()
    arguments_reach_keras(comp, built)
    report = load_weights_by_name(built, ref, strict=True)
    assert report.loaded == ["normalize", "head"]
    same_outputs(ref, built, data(seed=1))

    ref.save_weights(tmp_path / "ref.weights.h5")
    again = compile_text(spec(norm), "n.yaml").to_keras()
    load_weights_by_name(again, tmp_path / "ref.weights.h5", strict=True)
    same_outputs(ref, again, data(seed=1))


def test_adapted_statistics_survive_a_saved_model(tmp_path: Path) -> None:
    built = compile_text(spec("{name: normalize}"), "n.yaml").to_keras()
    built.get_layer("normalize").adapt(data())
    save_model(built, tmp_path / "m.keras")
    loaded = keras.models.load_model(tmp_path / "m.keras")
    same_outputs(built, loaded, data(seed=1))


@pytest.mark.parametrize("norm, keras_args", [
    ("{mean: 2.0, variance: 4.0}", {"mean": 2.0, "variance": 4.0}),
    ("{mean: [10.0, -4.0, 1.0], variance: [4.0, 0.25, 9.0]}", {"mean": [10.0, -4.0, 1.0],
                                                               "variance": [4.0, 0.25, 9.0]}),
    ("{axis: [1, 2], mean: [[1.0], [2.0], [3.0], [4.0]], variance: [[1.0], [4.0], [9.0], [16.0]], invert: true}",
     {"axis": (1, 2), "mean": [[1.0], [2.0], [3.0], [4.0]], "variance": [[1.0], [4.0], [9.0], [16.0]],
      "invert": True}),
])
def test_given_statistics_are_constants(norm: str, keras_args: dict) -> None:
    comp = compile_text(spec(norm), "n.yaml")
    built = comp.to_keras()
    arguments_reach_keras(comp, built)
    assert comp.stats.nodes["normalization"].total == 0
    assert not built.get_layer("normalization").weights
    ref = hand_written(**keras_args)
    built.get_layer("head").set_weights(ref.get_layer("head").get_weights())
    same_outputs(ref, built, data(seed=1))


# ---------------------------------------------------------------------------------------------------------------
# what archc rejects, Keras rejects (and what it accepts, Keras accepts)
# ---------------------------------------------------------------------------------------------------------------

NOISE_SHAPES = [
    ([None, 1, 1, 3], True), ([1, 1, 1, 3], True), ([None, 4, 1, 1], True), ([1, 3], True), ([3], True),
    ([5, 1], True), ([None, 1, 5, 3], True), ([2, 4, 5, 3], True),
    ([None, 2, 1, 3], False), ([None, 1, 1], False), ([1, 1, 1, 1, 1], False), ([4, 1], False), ([2], False),
    ([None, 1, 1, 2], False),
]


@pytest.mark.parametrize("noise_shape, ok", NOISE_SHAPES, ids=[str(n) for n, _ in NOISE_SHAPES])
def test_dropout_noise_shape_as_training_sees_it(noise_shape: list, ok: bool) -> None:
    """A batch of two (4, 5, 3) images in training mode: Keras drops with the mask when archc accepts it; when archc
    reports an error, Keras fails, or (a mask of higher rank) broadcasts the output to another shape."""
    defn = REGISTRY["Dropout"]
    params = defn.params.model_validate({"rate": 0.5, "noise_shape": noise_shape, "seed": 1})
    x = np.ones((2, 4, 5, 3), "float32")
    layer = keras.layers.Dropout(**params.to_config())
    if ok:
        assert defn.infer(params, [(4, 5, 3)]) == (4, 5, 3)
        y = np.asarray(layer(x, training=True))
        assert y.shape == x.shape and set(np.unique(y)) <= {0.0, 2.0}
    else:
        with pytest.raises(ShapeError):
            defn.infer(params, [(4, 5, 3)])
        try:
            y = layer(x, training=True)
        except Exception:
            return
        assert tuple(y.shape) != x.shape, "Keras trains with this mask: archc should accept it"


REJECTED = [
    ("GroupNormalization", {"groups": 4}, (4, 6)),
    ("GroupNormalization", {"groups": 8}, (4, 6)),
    ("Permute", {"dims": [2, 1]}, (4, 5, 6)),
    ("RepeatVector", {"n": 2}, (4, 5)),
    ("SpatialDropout1D", {"rate": 0.1}, (4, 5, 6)),
    ("SpatialDropout2D", {"rate": 0.1}, (4, 5)),
    ("SpatialDropout3D", {"rate": 0.1}, (4, 5, 6)),
    ("UnitNormalization", {"axis": 3}, (4, 6)),
    ("Normalization", {"mean": [1.0, 2.0], "variance": [1.0, 2.0]}, (4, 3)),
    ("Normalization", {"axis": 1}, (None, 3)),
    ("CenterCrop", {"height": 2, "width": 2}, (4, 3, 2, 1)),
]


@pytest.mark.parametrize("op, params, shape", REJECTED, ids=[f"{r[0]}-{i}" for i, r in enumerate(REJECTED)])
def test_keras_rejects_what_archc_rejects(op: str, params: dict, shape: tuple) -> None:
    defn = REGISTRY[op]
    p = defn.params.model_validate(params)
    with pytest.raises(ShapeError):
        defn.infer(p, [shape])
    with pytest.raises(Exception):
        kerasutil.one_layer_model(defn, p, [shape])


PER_CHANNEL = """
archspec: 1
name: per_channel
model:
  inputs:
    x: {shape: [4, 5, 3]}
  layers:
    - Rescaling: {scale: [0.0171, 0.0175, 0.0174], offset: [-2.1179, -2.0357, -1.8044], name: standardise}
"""


def test_per_channel_rescaling_computes_and_saves(tmp_path: Path) -> None:
    """ImageNet-style standardisation in one layer: lists of factors and offsets, one per channel."""
    comp = compile_text(PER_CHANNEL, "p.yaml")
    model = comp.to_keras()
    arguments_reach_keras(comp, model)
    x = np.random.default_rng(0).uniform(0, 255, size=(2, 4, 5, 3)).astype("float32")
    want = x * np.array([0.0171, 0.0175, 0.0174], "float32") + np.array([-2.1179, -2.0357, -1.8044], "float32")
    assert np.max(np.abs(np.asarray(model(x)) - want)) <= 1e-5
    save_model(model, tmp_path / "p.keras")
    loaded = keras.models.load_model(tmp_path / "p.keras")
    same_outputs(model, loaded, x)
