"""specs/transformers/vit.yaml against a vision transformer written by hand with keras.layers.

The hand-written model uses Keras's own Conv2D, Reshape, MultiHeadAttention, LayerNormalization, Dense, Dropout,
Add, Cropping1D and Flatten, and a class-token layer defined here and the position-embedding layer of tests/kerasutil.py (independent of archc's
classes). At a small size (32x32 images, patch 8, 2 layers, width 32) the layer names, the parameter counts and,
with the hand-written model's random weights copied over by name, the predictions must equal the built spec's;
the full-size ViT-Ti/S/B counts are compared in a slow test.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

import archcompiler

kerasutil = pytest.importorskip("kerasutil")
keras = kerasutil.keras
layers = keras.layers

pytestmark = [pytest.mark.keras, pytest.mark.usefixtures("fresh_keras")]

SPECS = Path(__file__).resolve().parents[2] / "specs" / "transformers"

SMALL = {"image_size": 32, "patch_size": 8, "hidden_size": 32, "num_layers": 2, "num_heads": 4, "mlp_size": 64,
         "classes": 5}


class ClassToken(layers.Layer):
    """One learned vector in front of the sequence."""

    def build(self, input_shape):
        self.token = self.add_weight(shape=(1, 1, input_shape[-1]), initializer="zeros", name="token")

    def call(self, x):
        batch = keras.ops.shape(x)[0]
        return keras.ops.concatenate([keras.ops.tile(self.token, (batch, 1, 1)), x], axis=1)


def hand_written(image_size: int = 224, channels: int = 3, patch_size: int = 16, hidden_size: int = 768,
                 num_layers: int = 12, num_heads: int = 12, mlp_size: int = 3072, classes: int = 1000,
                 dropout: float = 0.0, name: str = "vit") -> keras.Model:
    patches = (image_size // patch_size) ** 2
    image = keras.Input((image_size, image_size, channels), name="image")
    x = layers.Conv2D(hidden_size, patch_size, strides=patch_size, name="patch_embedding")(image)
    x = layers.Reshape((patches, hidden_size), name="patches")(x)
    x = ClassToken(name="class_token")(x)
    x = layers.Add(name="embeddings_add")([x, kerasutil.LearnedPositions(patches + 1, name="position_embedding")(x)])
    x = layers.Dropout(dropout, name="embeddings_dropout")(x)
    for i in range(num_layers):
        p = f"encoder{i}"
        h = layers.LayerNormalization(epsilon=1e-6, name=f"{p}_attention_norm")(x)
        h = layers.MultiHeadAttention(num_heads, hidden_size // num_heads, name=f"{p}_attention")(h, h)
        x = layers.Add(name=f"{p}_attention_add")([x, layers.Dropout(dropout, name=f"{p}_attention_dropout")(h)])
        h = layers.LayerNormalization(epsilon=1e-6, name=f"{p}_mlp_norm")(x)
        h = layers.Dense(mlp_size, activation="gelu", name=f"{p}_mlp_hidden")(h)
        h = layers.Dropout(dropout, name=f"{p}_mlp_hidden_dropout")(h)
        h = layers.Dropout(dropout, name=f"{p}_mlp_output_dropout")(layers.Dense(hidden_size, name=f"{p}_mlp_output")(h))
        x = layers.Add(name=f"{p}_mlp_add")([x, h])
    x = layers.LayerNormalization(epsilon=1e-6, name="encoder_norm")(x)
    x = layers.Flatten(name="class_token_flat")(layers.Cropping1D((0, patches), name="class_token_output")(x))
    return keras.Model(image, layers.Dense(classes, name="head")(x), name=name)


def test_small_vit_equals_the_hand_written_one() -> None:
    comp = archcompiler.load(SPECS / "vit.yaml", overrides=SMALL)
    built = comp.to_keras(compile=False)
    ref = hand_written(**SMALL)
    assert [layer.name for layer in built.layers] == [layer.name for layer in ref.layers]
    assert built.count_params() == ref.count_params() == comp.stats.total.total
    assert kerasutil.split_params(ref) == (comp.stats.total.trainable, comp.stats.total.non_trainable)
    rng = np.random.default_rng(3)
    by_name = {layer.name: layer for layer in built.layers}
    for a in ref.layers:
        b = by_name[a.name]
        assert [w.shape for w in a.get_weights()] == [w.shape for w in b.get_weights()], a.name
        weights = [rng.normal(0, 0.3, w.shape).astype("float32") for w in a.get_weights()]
        a.set_weights(weights)
        b.set_weights(weights)
    x = rng.normal(0, 1, (3, 32, 32, 3)).astype("float32")
    expected = np.asarray(ref(x, training=False))
    got = np.asarray(built(x, training=False))
    assert expected.shape[1:] == tuple(comp.output_shapes[0])
    assert np.std(expected) > 0
    np.testing.assert_allclose(got, expected, atol=1e-4)


@pytest.mark.slow
@pytest.mark.parametrize("spec, sizes, total", [
    ("vit.yaml", {}, 86_567_656),
    ("vit_small.yaml", {"hidden_size": 384, "num_heads": 6, "mlp_size": 1536}, 22_050_664),
    ("vit_tiny.yaml", {"hidden_size": 192, "num_heads": 3, "mlp_size": 768}, 5_717_416),
])
def test_full_size_counts_equal_the_hand_written_ones(spec: str, sizes: dict, total: int) -> None:
    comp = archcompiler.load(SPECS / spec)
    ref = hand_written(**sizes)
    assert ref.count_params() == comp.stats.total.total == total
    assert len(ref.layers) == comp.layer_count
