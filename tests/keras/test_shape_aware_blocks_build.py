"""Shape-aware blocks against Keras: a DenseNet transition block and a MobileNetV2 inverted-residual block written
with no hand-passed channel counts (they read ``x.shape[-1]``) give the layers, shapes and counts of hand-written
Keras code that knows the channel counts."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

from archcompiler import compile_text

kerasutil = pytest.importorskip("kerasutil")
keras = kerasutil.keras
layers = keras.layers

pytestmark = pytest.mark.keras

SPEC = """
blocks:
  transition:
    doc: DenseNet's transition (keras.applications' transition_block), its width read from its input.
    params: {reduction: {type: float, default: 0.5}}
    layers:
      - BatchNormalization: {epsilon: 1.001e-5}
      - Activation: relu
      - Conv2D: {filters: "${int(x.shape[-1] * reduction)}", kernel_size: 1, use_bias: false}
      - AveragePooling2D: {pool_size: 2, strides: 2}
  inverted_residual:
    doc: MobileNetV2's inverted residual; the shortcut only where the block keeps the shape.
    params: {filters: {type: int}, stride: {type: int, default: 1}, expansion: {type: int, default: 6}}
    layers:
      - Conv2D: {filters: "${x.shape[-1] * expansion}", kernel_size: 1, padding: same, use_bias: false}
      - BatchNormalization: {epsilon: 1.0e-3, momentum: 0.999}
      - ReLU: {max_value: 6}
      - DepthwiseConv2D: {kernel_size: 3, strides: $stride, padding: same, use_bias: false}
      - BatchNormalization: {epsilon: 1.0e-3, momentum: 0.999}
      - ReLU: {max_value: 6}
      - Conv2D: {filters: $filters, kernel_size: 1, padding: same, use_bias: false}
      - BatchNormalization: {epsilon: 1.0e-3, momentum: 0.999}
      - if: ${x.shape[-1] == filters and stride == 1}
        layers:
          - Add: {inputs: [x, _]}
model:
  inputs: {image: {shape: [16, 16, 3]}}
  layers:
    - Conv2D: {filters: 24, kernel_size: 3, padding: same}
    - transition
    - transition: {reduction: 0.25}
    - Conv2D: {filters: 16, kernel_size: 1}
    - inverted_residual: {filters: 16}
    - inverted_residual: {filters: 24, stride: 2}
    - inverted_residual: {filters: 24}
    - inverted_residual: {filters: 24, expansion: 2}
"""


def transition(x: Any, reduction: float) -> Any:
    channels = int(x.shape[-1] * reduction)
    x = layers.BatchNormalization(epsilon=1.001e-5)(x)
    x = layers.Activation("relu")(x)
    x = layers.Conv2D(channels, 1, use_bias=False)(x)
    return layers.AveragePooling2D(2, strides=2)(x)


def inverted_residual(x: Any, in_channels: int, filters: int, stride: int = 1, expansion: int = 6) -> Any:
    y = layers.Conv2D(in_channels * expansion, 1, padding="same", use_bias=False)(x)
    y = layers.BatchNormalization(epsilon=1e-3, momentum=0.999)(y)
    y = layers.ReLU(6.0)(y)
    y = layers.DepthwiseConv2D(3, strides=stride, padding="same", use_bias=False)(y)
    y = layers.BatchNormalization(epsilon=1e-3, momentum=0.999)(y)
    y = layers.ReLU(6.0)(y)
    y = layers.Conv2D(filters, 1, padding="same", use_bias=False)(y)
    y = layers.BatchNormalization(epsilon=1e-3, momentum=0.999)(y)
    if in_channels == filters and stride == 1:
        y = layers.Add()([x, y])
    return y


def reference() -> keras.Model:
    inputs = keras.Input((16, 16, 3))
    x = layers.Conv2D(24, 3, padding="same")(inputs)
    x = transition(x, 0.5)       # 24 -> 12 channels
    x = transition(x, 0.25)      # 12 -> 3
    x = layers.Conv2D(16, 1)(x)
    x = inverted_residual(x, 16, 16)             # with the shortcut
    x = inverted_residual(x, 16, 24, stride=2)   # none: width and resolution change
    x = inverted_residual(x, 24, 24)             # with
    x = inverted_residual(x, 24, 24, expansion=2)
    return keras.Model(inputs, x)


def test_shape_aware_blocks_match_hand_written_keras() -> None:
    keras.backend.clear_session()
    comp = compile_text(SPEC, "shape_aware.yaml")
    ref = reference()
    built = comp.to_keras(compile=False)
    assert [type(a).__name__ for a in built.layers] == [type(b).__name__ for b in ref.layers]
    assert [tuple(a.output.shape) for a in built.layers] == [tuple(b.output.shape) for b in ref.layers]
    assert kerasutil.split_params(built) == kerasutil.split_params(ref)
    static = comp.stats.total
    assert (static.trainable, static.non_trainable) == kerasutil.split_params(ref)
    assert [(None, *comp.types[n.name].shape) for n in comp.graph.nodes] == [tuple(b.output.shape) for b in ref.layers]
    assert sum(n.op == "Add" for n in comp.graph.nodes) == 3
    # the same weights give the same predictions
    for a, b in zip(ref.layers, built.layers):
        b.set_weights(a.get_weights())
    x = np.random.default_rng(0).normal(size=(2, 16, 16, 3)).astype("float32")
    assert float(np.max(np.abs(np.asarray(ref(x)) - np.asarray(built(x))))) <= 1e-5
