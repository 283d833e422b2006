"""The layer registry's static rules, table-driven: output shape, parameter counts and FLOPs per layer type, and the
errors invalid arguments and incompatible shapes raise. Pure Python: no TensorFlow.

Expected FLOPs are the figures TensorFlow's profiler reported for the same Keras layer (see
tests/keras/test_layer_oracle.py, which re-checks them against Keras)."""

from __future__ import annotations

import ast
import re
import json
from pathlib import Path
from typing import Any, Optional

import pydantic
import pytest
from hypothesis import given
from hypothesis import strategies as st

from archcompiler.layers import REGISTRY, ShapeError
from archcompiler.layers.activations import activation_flops, relu_ops_per_element
from archcompiler.layers.base import ActivationName, window_output_dim

FAMILIES = {"input", "conv", "norm", "activation", "pooling", "merge", "dense", "reshape", "regularization",
            "recurrent", "attention", "other"}  # other: TimeDistributed, drawn in its inner layer's colour


def row(op: str, params: dict[str, Any], ins: list[tuple], out: tuple, counts: tuple[int, int],
        flops: Optional[int], id: str) -> Any:
    return pytest.param(op, params, ins, out, counts, flops, id=f"{op}-{id}")


N0 = (0, 0)

ROWS = [
    row("Input", {"shape": [8, 8, 3]}, [], (8, 8, 3), N0, 0, "image"),
    row("Input", {"shape": [None, 16]}, [], (None, 16), N0, 0, "unknown"),
    # Conv2D: 2*kh*kw*Cin/groups per output element + bias adds.
    row("Conv2D", {"filters": 4, "kernel_size": 3}, [(8, 8, 8)], (6, 6, 4), (292, 0), 20736 + 144, "valid"),
    row("Conv2D", {"filters": 4, "kernel_size": 3, "use_bias": False}, [(8, 8, 8)], (6, 6, 4), (288, 0), 20736,
        "nobias"),
    row("Conv2D", {"filters": 4, "kernel_size": 3, "strides": 2, "padding": "same"}, [(8, 8, 8)], (4, 4, 4),
        (292, 0), 9216 + 64, "same-s2"),
    row("Conv2D", {"filters": 4, "kernel_size": [2, 3], "strides": [2, 1], "padding": "same"}, [(7, 9, 4)],
        (4, 9, 4), (100, 0), 6912 + 144, "rect-same"),
    row("Conv2D", {"filters": 4, "kernel_size": 3, "dilation_rate": 2}, [(9, 9, 8)], (5, 5, 4), (292, 0),
        20736 + 100, "dilated-valid"),
    row("Conv2D", {"filters": 4, "kernel_size": 3, "dilation_rate": 2, "padding": "same"}, [(9, 9, 8)], (9, 9, 4),
        (292, 0), 57600 + 324, "dilated-same-odd"),
    row("Conv2D", {"filters": 4, "kernel_size": 3, "dilation_rate": 2, "padding": "same"}, [(8, 8, 8)], (8, 8, 4),
        (292, 0), 36864 + 256, "dilated-same-even"),
    row("Conv2D", {"filters": 4, "kernel_size": [3, 2], "dilation_rate": [2, 3]}, [(11, 9, 4)], (7, 6, 4), (100, 0),
        9216 + 168, "dilated-rect"),
    row("Conv2D", {"filters": 4, "kernel_size": 3, "dilation_rate": [1, 2], "padding": "same"}, [(9, 9, 4)],
        (9, 9, 4), (148, 0), 25920 + 324, "dilated-one-axis"),
    row("Conv2D", {"filters": 4, "kernel_size": 3, "groups": 2}, [(8, 8, 8)], (6, 6, 4), (148, 0), 10368 + 144,
        "groups"),
    row("Conv2D", {"filters": 4, "kernel_size": 1, "activation": "softmax"}, [(2, 3, 8)], (2, 3, 4), (36, 0),
        384 + 24 + 120, "softmax"),
    row("Conv2D", {"filters": 4, "kernel_size": 1, "activation": "relu"}, [(2, 3, 8)], (2, 3, 4), (36, 0),
        384 + 24, "relu"),
    row("Conv2D", {"filters": 4, "kernel_size": 1, "activation": "gelu"}, [(2, 3, 8)], (2, 3, 4), (36, 0),
        384 + 24 + 96, "gelu"),
    row("Conv2D", {"filters": 16, "kernel_size": 3, "strides": 2, "padding": "same"}, [(None, None, 3)],
        (None, None, 16), (448, 0), None, "unknown-spatial"),
    row("Conv2D", {"filters": 4, "kernel_size": 3}, [(None, 8, 2)], (None, 6, 4), (76, 0), None, "unknown-height"),
    row("Conv2D", {"filters": 64, "kernel_size": 7, "strides": 2}, [(230, 230, 3)], (112, 112, 64), (9472, 0),
        236027904 + 802816, "resnet-stem"),
    # Conv1D runs as a Conv2D; causal pads (k-1)*d on the left.
    row("Conv1D", {"filters": 4, "kernel_size": 3}, [(10, 2)], (8, 4), (28, 0), 384 + 32, "valid"),
    row("Conv1D", {"filters": 4, "kernel_size": 3, "strides": 2, "padding": "same"}, [(10, 2)], (5, 4), (28, 0),
        240 + 20, "same-s2"),
    row("Conv1D", {"filters": 4, "kernel_size": 3, "dilation_rate": 2, "padding": "same"}, [(9, 2)], (9, 4),
        (28, 0), 480 + 36, "dilated-same"),
    row("Conv1D", {"filters": 4, "kernel_size": 3, "padding": "causal"}, [(9, 2)], (9, 4), (28, 0), 432 + 36,
        "causal"),
    row("Conv1D", {"filters": 4, "kernel_size": [3], "padding": "causal", "dilation_rate": 2}, [(9, 2)], (9, 4),
        (28, 0), 480 + 36, "causal-dilated"),
    # DepthwiseConv2D: 2*kh*kw per output element; SeparableConv2D adds a 1x1 Conv2D.
    row("DepthwiseConv2D", {"kernel_size": 3}, [(8, 8, 4)], (6, 6, 4), (40, 0), 2592 + 144, "valid"),
    row("DepthwiseConv2D", {"kernel_size": 3, "depth_multiplier": 2}, [(8, 8, 4)], (6, 6, 8), (80, 0), 5184 + 288,
        "multiplier"),
    row("DepthwiseConv2D", {"kernel_size": 3, "depth_multiplier": 2, "use_bias": False, "padding": "same",
                            "strides": 2}, [(8, 8, 4)], (4, 4, 8), (72, 0), 2304, "same-s2-nobias"),
    row("DepthwiseConv2D", {"kernel_size": 3, "dilation_rate": 2, "padding": "same"}, [(9, 9, 4)], (9, 9, 4),
        (40, 0), 7200 + 324, "dilated"),
    row("DepthwiseConv2D", {"kernel_size": 3, "activation": "softmax"}, [(8, 8, 4)], (6, 6, 4), (40, 0),
        2592 + 144 + 720, "softmax"),
    row("SeparableConv2D", {"filters": 6, "kernel_size": 3}, [(8, 8, 4)], (6, 6, 6), (66, 0), 2592 + 1728 + 216,
        "valid"),
    row("SeparableConv2D", {"filters": 6, "kernel_size": 3, "depth_multiplier": 2, "use_bias": False}, [(8, 8, 4)],
        (6, 6, 6), (120, 0), 5184 + 3456, "multiplier"),
    row("SeparableConv2D", {"filters": 6, "kernel_size": 3, "padding": "same", "dilation_rate": 2}, [(9, 9, 4)],
        (9, 9, 6), (66, 0), 7200 + 3888 + 486, "dilated"),
    # Dense: 2*in per output element + bias adds + activation.
    row("Dense", {"units": 10, "activation": "softmax"}, [(7,)], (10,), (80, 0), 140 + 10 + 50, "softmax"),
    row("Dense", {"units": 10, "activation": "softmax"}, [(2, 3, 7)], (2, 3, 10), (80, 0), 840 + 60 + 300, "rank3"),
    row("Dense", {"units": 10, "use_bias": False}, [(2, 3, 7)], (2, 3, 10), (70, 0), 840, "nobias"),
    row("Dense", {"units": 10, "activation": "gelu"}, [(7,)], (10,), (80, 0), 140 + 10 + 40, "gelu"),
    row("Dense", {"units": 10}, [(None, 7)], (None, 10), (80, 0), None, "unknown-rows"),
    row("Dense", {"units": 1000, "activation": "softmax"}, [(2048,)], (1000,), (2049000, 0), 4096000 + 1000 + 5000,
        "resnet-head"),
    row("Dropout", {"rate": 0.5}, [(7, 7, 3)], (7, 7, 3), N0, 0, "image"),
    row("Dropout", {"rate": 0, "seed": 1}, [(None,)], (None,), N0, 0, "unknown"),
    row("Rescaling", {"scale": 1 / 255}, [(4, 3)], (4, 3), N0, 24, "scale"),
    row("Rescaling", {"scale": 1, "offset": 0}, [(4, 3)], (4, 3), N0, 24, "identity-still-counts"),
    row("Rescaling", {"scale": 0.5}, [(None, 3)], (None, 3), N0, None, "unknown"),
    # BatchNormalization: 2N + 5C (+C with scale); gamma/beta trainable, moving stats not.
    row("BatchNormalization", {}, [(5, 5, 8)], (5, 5, 8), (16, 16), 448, "default"),
    row("BatchNormalization", {"axis": 3, "epsilon": 1.001e-5}, [(5, 5, 8)], (5, 5, 8), (16, 16), 448, "axis3"),
    row("BatchNormalization", {"scale": False}, [(5, 5, 8)], (5, 5, 8), (8, 16), 440, "noscale"),
    row("BatchNormalization", {"center": False}, [(5, 5, 8)], (5, 5, 8), (8, 16), 448, "nocenter"),
    row("BatchNormalization", {"center": False, "scale": False}, [(5, 5, 8)], (5, 5, 8), (0, 16), 440, "plain"),
    row("BatchNormalization", {"axis": 1}, [(5, 6, 8)], (5, 6, 8), (10, 10), 510, "axis1"),
    row("BatchNormalization", {}, [(8,)], (8,), (16, 16), 64, "rank1"),
    row("BatchNormalization", {}, [(None, None, 8)], (None, None, 8), (16, 16), None, "unknown"),
    # LayerNormalization: 9N + 4M for M groups (fewer without scale/center).
    row("LayerNormalization", {}, [(5, 6, 8)], (5, 6, 8), (16, 0), 2280, "default"),
    row("LayerNormalization", {"scale": False}, [(5, 6, 8)], (5, 6, 8), (8, 0), 1830, "noscale"),
    row("LayerNormalization", {"center": False}, [(5, 6, 8)], (5, 6, 8), (8, 0), 2040, "nocenter"),
    row("LayerNormalization", {"center": False, "scale": False}, [(5, 6, 8)], (5, 6, 8), (0, 0), 1590, "plain"),
    row("LayerNormalization", {"axis": 1}, [(5, 6, 8)], (5, 6, 8), (10, 0), 2352, "axis1"),
    row("LayerNormalization", {"axis": [1, 2]}, [(5, 6, 8)], (5, 6, 8), (60, 0), 2192, "two-axes"),
    row("LayerNormalization", {}, [(8,)], (8,), (16, 0), 76, "rank1"),
    row("LayerNormalization", {}, [(None, 8)], (None, 8), (16, 0), None, "unknown"),
    # Activations.
    row("Activation", {"activation": "relu"}, [(2, 3, 4)], (2, 3, 4), N0, 0, "relu"),
    row("Activation", {"activation": "softmax"}, [(2, 3, 4)], (2, 3, 4), N0, 120, "softmax"),
    row("Activation", {"activation": "swish"}, [(2, 3, 4)], (2, 3, 4), N0, 48, "swish"),
    row("Activation", {"activation": "hard_swish"}, [(2, 3, 4)], (2, 3, 4), N0, 72, "hard_swish"),
    row("Activation", {"activation": "relu"}, [(None, 4)], (None, 4), N0, 0, "relu-unknown"),
    row("Activation", {"activation": "softmax"}, [(None, 4)], (None, 4), N0, None, "softmax-unknown"),
    row("ReLU", {}, [(2, 3, 4)], (2, 3, 4), N0, 0, "plain"),
    row("ReLU", {"max_value": 6}, [(2, 3, 4)], (2, 3, 4), N0, 0, "relu6"),
    row("ReLU", {"max_value": 5.0}, [(5, 3, 7)], (5, 3, 7), N0, 210, "clip"),
    row("ReLU", {"negative_slope": 0.1}, [(2, 3, 4)], (2, 3, 4), N0, 0, "leaky"),
    row("ReLU", {"threshold": 1.0}, [(2, 3, 4)], (2, 3, 4), N0, 24, "threshold"),
    row("ReLU", {"max_value": 6.0, "negative_slope": 0.1}, [(2, 3, 4)], (2, 3, 4), N0, 72, "relu6-slope"),
    row("ReLU", {"max_value": 6.0, "threshold": 0.5}, [(2, 3, 4)], (2, 3, 4), N0, 72, "relu6-threshold"),
    row("ReLU", {"negative_slope": 0.2, "threshold": 0.5}, [(2, 3, 4)], (2, 3, 4), N0, 120, "slope-threshold"),
    row("ReLU", {"max_value": 6.0, "negative_slope": 0.1, "threshold": 1.0}, [(2, 3, 4)], (2, 3, 4), N0, 168, "all"),
    row("LeakyReLU", {}, [(4, 3)], (4, 3), N0, 0, "default"),
    row("LeakyReLU", {"negative_slope": 0.1}, [(None, 3)], (None, 3), N0, 0, "unknown"),
    row("Softmax", {}, [(2, 3, 4)], (2, 3, 4), N0, 120, "last"),
    row("Softmax", {"axis": 3}, [(2, 3, 4)], (2, 3, 4), N0, 120, "last-positive"),
    row("Softmax", {"axis": 1}, [(2, 3, 4)], (2, 3, 4), N0, 122, "axis1"),
    row("Softmax", {"axis": -2}, [(2, 3, 4)], (2, 3, 4), N0, 125, "negative"),
    # Pooling: window area per output element; global average one per input element; global max 0.
    row("MaxPooling2D", {"pool_size": 2}, [(7, 7, 3)], (3, 3, 3), N0, 108, "valid"),
    row("MaxPooling2D", {"pool_size": 3, "strides": 2, "padding": "same"}, [(7, 7, 3)], (4, 4, 3), N0, 432, "same"),
    row("MaxPooling2D", {"pool_size": 3, "strides": 1, "padding": "same"}, [(7, 7, 3)], (7, 7, 3), N0, 1323, "s1"),
    row("MaxPooling2D", {"pool_size": 5, "padding": "same"}, [(3, 3, 2)], (1, 1, 2), N0, 50, "big-same"),
    row("MaxPooling2D", {}, [(None, 8, 3)], (None, 4, 3), N0, None, "unknown"),
    row("MaxPooling2D", {"pool_size": 3, "strides": 2}, [(114, 114, 64)], (56, 56, 64), N0, 1806336, "resnet"),
    row("AveragePooling2D", {"pool_size": 2}, [(7, 7, 3)], (3, 3, 3), N0, 108, "valid"),
    row("AveragePooling2D", {"pool_size": [2, 3], "strides": [1, 2], "padding": "same"}, [(7, 7, 3)], (7, 4, 3), N0,
        504, "rect-same"),
    row("GlobalAveragePooling2D", {}, [(7, 7, 3)], (3,), N0, 147, "default"),
    row("GlobalAveragePooling2D", {"keepdims": True}, [(7, 7, 3)], (1, 1, 3), N0, 147, "keepdims"),
    row("GlobalAveragePooling2D", {}, [(None, None, 3)], (3,), N0, None, "unknown"),
    row("GlobalMaxPooling2D", {}, [(7, 7, 3)], (3,), N0, 0, "default"),
    row("GlobalMaxPooling2D", {"keepdims": True}, [(None, None, 3)], (1, 1, 3), N0, 0, "keepdims"),
    # Merges.
    row("Add", {}, [(4, 3), (4, 3)], (4, 3), N0, 12, "two"),
    row("Add", {}, [(4, 3), (4, 3), (4, 3)], (4, 3), N0, 24, "three"),
    row("Add", {}, [(None, 3), (4, 3)], (None, 3), N0, None, "unknown-matches"),
    row("Subtract", {}, [(4, 3), (4, 3)], (4, 3), N0, 12, "two"),
    row("Multiply", {}, [(4, 3), (4, 3)], (4, 3), N0, 12, "two"),
    row("Multiply", {}, [(4, 3), (4, 3), (4, 3)], (4, 3), N0, 24, "three"),
    row("Average", {}, [(4, 3), (4, 3)], (4, 3), N0, 24, "two"),
    row("Average", {}, [(4, 3), (4, 3), (4, 3)], (4, 3), N0, 36, "three"),
    row("Maximum", {}, [(4, 3), (4, 3), (4, 3)], (4, 3), N0, 24, "three"),
    row("Minimum", {}, [(4, 3), (4, 3)], (4, 3), N0, 12, "two"),
    # Broadcasting as Keras does it: aligned from the last axis; each step of the fold costs its own output.
    row("Multiply", {}, [(4, 4, 8), (1, 1, 8)], (4, 4, 8), N0, 128, "gate"),
    row("Multiply", {}, [(1, 1, 8), (4, 4, 8)], (4, 4, 8), N0, 128, "gate-first"),
    row("Add", {}, [(4, 3), (3,)], (4, 3), N0, 12, "lower-rank"),
    row("Add", {}, [(1, 3), (4, 5, 1), (5, 3)], (4, 5, 3), N0, 120, "fold"),
    row("Subtract", {}, [(2, 1, 5), (2, 3, 1)], (2, 3, 5), N0, 30, "both-ways"),
    row("Average", {}, [(3, 1), (1, 4), (3, 4)], (3, 4), N0, 36, "fold"),
    row("Maximum", {}, [(None, 1), (4, 3)], (None, 3), N0, None, "unknown"),
    row("Minimum", {}, [(2, 4, 3), (3,)], (2, 4, 3), N0, 24, "vector"),
    row("Concatenate", {}, [(4, 3), (4, 5)], (4, 8), N0, 0, "channels"),
    row("Concatenate", {"axis": 1}, [(4, 3), (2, 3)], (6, 3), N0, 0, "axis1"),
    row("Concatenate", {"axis": -2}, [(4, 3), (2, 3), (1, 3)], (7, 3), N0, 0, "three"),
    row("Concatenate", {}, [(None, 3), (4, 5)], (None, 8), N0, 0, "unknown-other"),
    row("Concatenate", {}, [(4, None), (4, 5)], (4, None), N0, 0, "unknown-axis"),
    # Reshaping.
    row("Flatten", {}, [(7, 7, 3)], (147,), N0, 0, "image"),
    row("Flatten", {}, [(None, 3)], (None,), N0, 0, "unknown"),
    row("Reshape", {"target_shape": [-1, 3]}, [(7, 7, 3)], (49, 3), N0, 0, "infer"),
    row("Reshape", {"target_shape": [1, 1, 12]}, [(4, 3)], (1, 1, 12), N0, 0, "explicit"),
    row("Reshape", {"target_shape": [-1, 3]}, [(None, 3)], (None, 3), N0, 0, "unknown-infer"),
    row("Reshape", {"target_shape": [3, 2]}, [(None, 3)], (3, 2), N0, 0, "unknown-explicit"),
    row("ZeroPadding2D", {"padding": 3}, [(5, 5, 2)], (11, 11, 2), N0, 0, "int"),
    row("ZeroPadding2D", {"padding": [1, 2]}, [(5, 5, 2)], (7, 9, 2), N0, 0, "pair"),
    row("ZeroPadding2D", {"padding": [[1, 2], [3, 4]]}, [(5, 5, 2)], (8, 12, 2), N0, 0, "full"),
    row("ZeroPadding2D", {}, [(None, 5, 2)], (None, 7, 2), N0, 0, "default-unknown"),
    row("Cropping2D", {"cropping": 1}, [(4, 3, 2)], (2, 1, 2), N0, 0, "int"),
    row("Cropping2D", {"cropping": [[0, 1], [1, 0]]}, [(None, 3, 2)], (None, 2, 2), N0, 0, "full-unknown"),
    row("UpSampling2D", {}, [(4, 3, 2)], (8, 6, 2), N0, 2, "nearest"),
    row("UpSampling2D", {"size": [1, 3], "interpolation": "bilinear"}, [(None, 3, 2)], (None, 9, 2), N0, 0,
        "bilinear"),
    # 1D and 3D members of the rank-generic families (figures from TensorFlow's profiler, except where noted).
    row("Conv3D", {"filters": 4, "kernel_size": 3}, [(5, 6, 7, 2)], (3, 4, 5, 4), (220, 0), 25920 + 240, "valid"),
    row("Conv3D", {"filters": 4, "kernel_size": 3, "dilation_rate": 2, "padding": "same"}, [(5, 6, 7, 2)],
        (5, 6, 7, 4), (220, 0), 124416 + 840, "dilated-same"),
    # grouped: the profiler sees nothing (XLA); archc counts 2 * 27 * (2 / 2) per output element plus the bias
    row("Conv3D", {"filters": 4, "kernel_size": 3, "groups": 2}, [(5, 6, 7, 2)], (3, 4, 5, 4), (112, 0),
        12960 + 240, "groups"),
    row("Conv3D", {"filters": 4, "kernel_size": 3, "strides": 2}, [(None, 9, 9, 2)], (None, 4, 4, 4), (220, 0),
        None, "unknown"),
    # transposed: 2 * output elements * kernel weights / (filters * strides product), plus the bias
    row("Conv1DTranspose", {"filters": 4, "kernel_size": 3, "strides": 2}, [(5, 2)], (11, 4), (28, 0), 264 + 44,
        "valid"),
    row("Conv1DTranspose", {"filters": 4, "kernel_size": 3, "strides": 2, "padding": "same"}, [(5, 2)], (10, 4),
        (28, 0), 240 + 40, "same"),
    row("Conv2DTranspose", {"filters": 4, "kernel_size": 3}, [(5, 5, 2)], (7, 7, 4), (76, 0), 7056 + 196, "valid"),
    row("Conv2DTranspose", {"filters": 4, "kernel_size": 2, "strides": 3}, [(5, 5, 2)], (15, 15, 4), (36, 0),
        1600 + 900, "stride-over-kernel"),
    row("Conv2DTranspose", {"filters": 4, "kernel_size": 3, "strides": 2, "padding": "same", "output_padding": 1},
        [(5, 5, 2)], (10, 10, 4), (76, 0), 3600 + 400, "output-padding"),
    row("Conv2DTranspose", {"filters": 4, "kernel_size": 2, "strides": 2, "padding": "same", "output_padding": 0},
        [(5, 5, 2)], (8, 8, 4), (36, 0), 1024 + 256, "even-output-padding"),
    row("Conv2DTranspose", {"filters": 4, "kernel_size": 3, "dilation_rate": 2}, [(5, 5, 2)], (9, 9, 4), (76, 0),
        11664 + 324, "dilated"),
    row("Conv2DTranspose", {"filters": 4, "kernel_size": 3, "strides": 2}, [(None, 5, 2)], (None, 11, 4), (76, 0),
        None, "unknown"),
    # Conv3DTranspose: the profiler has no rule for its kernel (only the bias add, 2772); archc counts the kernel
    # with the 2D rule: 2 * 2772 * 216 / (4 * 8) = 37422
    row("Conv3DTranspose", {"filters": 4, "kernel_size": 3, "strides": 2}, [(3, 4, 5, 2)], (7, 9, 11, 4), (220, 0),
        37422 + 2772, "valid"),
    row("DepthwiseConv1D", {"kernel_size": 3}, [(9, 3)], (7, 3), (12, 0), 126 + 21, "valid"),
    row("DepthwiseConv1D", {"kernel_size": 3, "dilation_rate": 2, "padding": "same"}, [(9, 3)], (9, 3), (12, 0),
        180 + 27, "dilated"),
    row("SeparableConv1D", {"filters": 5, "kernel_size": 3}, [(9, 3)], (7, 5), (29, 0), 126 + 210 + 35, "valid"),
    row("SeparableConv1D", {"filters": 5, "kernel_size": 3, "dilation_rate": 2, "padding": "same"}, [(9, 3)],
        (9, 5), (29, 0), 180 + 270 + 45, "dilated"),
    row("MaxPooling1D", {}, [(9, 3)], (4, 3), N0, 24, "default"),
    row("AveragePooling1D", {"pool_size": 3, "strides": 2, "padding": "same"}, [(9, 3)], (5, 3), N0, 45, "same"),
    # 3D window pools: the profiler reports 0; archc counts the window area per output element
    row("MaxPooling3D", {}, [(4, 5, 6, 3)], (2, 2, 3, 3), N0, 288, "default"),
    row("AveragePooling3D", {"pool_size": 2}, [(4, 5, 6, 3)], (2, 2, 3, 3), N0, 288, "valid"),
    row("GlobalAveragePooling1D", {}, [(9, 3)], (3,), N0, 27, "default"),
    row("GlobalAveragePooling3D", {"keepdims": True}, [(4, 5, 6, 3)], (1, 1, 1, 3), N0, 360, "keepdims"),
    row("GlobalMaxPooling1D", {"keepdims": True}, [(9, 3)], (1, 3), N0, 0, "keepdims"),
    row("GlobalMaxPooling3D", {}, [(4, 5, 6, 3)], (3,), N0, 0, "default"),
    row("UpSampling1D", {"size": 3}, [(4, 3)], (12, 3), N0, 1, "size3"),
    row("UpSampling3D", {}, [(2, 3, None, 3)], (4, 6, None, 3), N0, 3, "unknown"),
    row("ZeroPadding1D", {"padding": 2}, [(4, 3)], (8, 3), N0, 0, "int"),
    row("ZeroPadding3D", {"padding": [[1, 0], 1, [0, 2]]}, [(2, 3, 4, 3)], (3, 5, 6, 3), N0, 0, "mixed"),
    row("Cropping1D", {}, [(4, 3)], (2, 3), N0, 0, "default"),
    row("Cropping3D", {}, [(4, 5, 6, 3)], (2, 3, 4, 3), N0, 0, "default"),
    row("Rescaling", {"scale": [0.5, 2.0, 1.0], "offset": [1.0, 0.0, -1.0]}, [(4, 5, 3)], (4, 5, 3), N0, 120,
        "per-channel"),
    row("Rescaling", {"scale": [[2.0], [3.0]]}, [(None, 2, 3)], (None, 2, 3), N0, None, "nested"),
    row("Permute", {"dims": [2, 1]}, [(4, 5)], (5, 4), N0, 0, "swap"),
    row("Permute", {"dims": [3, 1, 2]}, [(None, 5, 6)], (6, None, 5), N0, 0, "unknown"),
    row("RepeatVector", {"n": 3}, [(4,)], (3, 4), N0, 1, "vector"),
    row("RepeatVector", {"n": 2}, [(None,)], (2, None), N0, 1, "unknown"),
    row("Identity", {}, [(4, 5)], (4, 5), N0, 0, "plain"),
    # tensor arithmetic with a constant: one FLOP per element (the profiler's AddV2 and Mul)
    row("AddConstant", {"value": 3.0}, [(4, 5, 3)], (4, 5, 3), N0, 60, "image"),
    row("AddConstant", {"value": -1}, [(None, 2)], (None, 2), N0, None, "unknown"),
    row("MultiplyConstant", {"value": 0.5}, [(1, 1, 8)], (1, 1, 8), N0, 8, "gate"),
    # keras.applications' InceptionResNetV2 residual: a multiplication and an addition per element
    row("CustomScaleLayer", {"scale": 0.17}, [(4, 4, 8), (4, 4, 8)], (4, 4, 8), N0, 256, "block35"),
    row("CustomScaleLayer", {"scale": 1.0}, [(None, 8), (3, 8)], (3, 8), N0, 48, "unknown"),
    # ConvNeXt's layer scale: one factor per channel, one multiplication per element
    row("LayerScale", {"init_values": 1e-6, "projection_dim": 8}, [(4, 4, 8)], (4, 4, 8), (8, 0), 128, "image"),
    row("LayerScale", {"init_values": 0.5, "projection_dim": 3}, [(None, 3)], (None, 3), (3, 0), None, "unknown"),
    # ConvNeXt's stochastic depth: the identity at inference
    row("StochasticDepth", {"drop_path_rate": 0.1}, [(4, 4, 8)], (4, 4, 8), N0, 0, "image"),
    row("StochasticDepth", {"drop_path_rate": 0.0}, [(None, 3)], (None, 3), N0, 0, "unknown"),
    # two-tensor arithmetic x + y: one FLOP per output element, Keras's broadcasting
    row("AddTensors", {}, [(4, 5, 3), (4, 5, 3)], (4, 5, 3), N0, 60, "same"),
    row("AddTensors", {}, [(4, 5, 3), (1, 1, 3)], (4, 5, 3), N0, 60, "broadcast"),
    row("AddTensors", {}, [(None, 3), (4, 3)], (None, 3), N0, None, "unknown"),
    # a Sequential used as a layer: the inner layers' rules in order, their weights and FLOPs summed
    row("Sequential", {"layers": [{"Conv2D": {"filters": 4, "kernel_size": 2, "strides": 2, "name": "c"}},
                                  {"LayerNormalization": {"name": "n"}}]}, [(8, 8, 3)], (4, 4, 4), (60, 0),
        1600 + 640, "conv-norm"),
    row("Sequential", {"layers": [{"BatchNormalization": {"name": "b"}}, {"Dense": {"units": 5, "name": "d"}}]},
        [(None, 3)], (None, 5), (6 + 20, 6), None, "unknown"),
    # Normalization: 2N + K (K mean/variance values); mean, variance and count non-trainable unless given.
    row("Normalization", {}, [(4, 5, 3)], (4, 5, 3), (0, 7), 123, "last-axis"),
    row("Normalization", {"axis": None}, [(4, 5, 3)], (4, 5, 3), (0, 3), 121, "scalar"),
    row("Normalization", {"axis": [1, 2]}, [(4, 5, 3)], (4, 5, 3), (0, 41), 140, "two-axes"),
    row("Normalization", {"mean": [1.0, 2.0, 3.0], "variance": [1.0, 2.0, 3.0]}, [(4, 5, 3)], (4, 5, 3), N0, 123,
        "given"),
    row("Normalization", {}, [(None, 3)], (None, 3), (0, 7), None, "unknown"),
    row("Resizing", {"height": 6, "width": 7}, [(4, 5, 3)], (6, 7, 3), N0, 0, "bilinear"),
    row("Resizing", {"height": 3, "width": 9, "crop_to_aspect_ratio": True}, [(8, 8, 2)], (3, 9, 2), N0, 14, "crop"),
    row("Resizing", {"height": 3, "width": 9, "pad_to_aspect_ratio": True}, [(8, 8, 2)], (3, 9, 2), N0, 268, "pad"),
    row("Resizing", {"height": 4, "width": 4, "pad_to_aspect_ratio": True}, [(8, 8, 2)], (4, 4, 2), N0, 12,
        "pad-nothing"),
    row("Resizing", {"height": 4, "width": 4, "pad_to_aspect_ratio": True}, [(None, 8, 2)], (4, 4, 2), N0, None,
        "pad-unknown"),
    row("Resizing", {"height": 3, "width": 5, "interpolation": "lanczos3"}, [(None, None, 2)], (3, 5, 2), N0, 2,
        "lanczos"),
    row("CenterCrop", {"height": 2, "width": 3}, [(4, 5, 3)], (2, 3, 3), N0, 0, "smaller"),
    row("CenterCrop", {"height": 6, "width": 7}, [(None, 5, 3)], (6, 7, 3), N0, 0, "larger"),
    # GroupNormalization: 4N + 3G + 2N + G + (2C or G) + (C with center).
    row("GroupNormalization", {"groups": 2}, [(4, 5, 6)], (4, 5, 6), (12, 0), 746, "groups"),
    row("GroupNormalization", {"groups": -1, "center": False}, [(4, 5, 6)], (4, 5, 6), (6, 0), 756, "instance"),
    row("GroupNormalization", {"groups": 3, "scale": False}, [(None, 6)], (None, 6), (6, 0), None, "unknown"),
    row("UnitNormalization", {}, [(4, 5, 6)], (4, 5, 6), N0, 400, "last"),
    row("UnitNormalization", {"axis": [1, 2]}, [(4, 5, 6)], (4, 5, 6), N0, 372, "two-axes"),
    row("SpatialDropout1D", {"rate": 0.2}, [(4, 5)], (4, 5), N0, 0, "sequence"),
    row("SpatialDropout2D", {"rate": 0.2}, [(None, 4, 5)], (None, 4, 5), N0, 0, "image"),
    row("SpatialDropout3D", {"rate": 0.2}, [(2, 3, 4, 5)], (2, 3, 4, 5), N0, 0, "volume"),
    row("GaussianNoise", {"stddev": 0.1}, [(4, 5)], (4, 5), N0, 0, "noise"),
    row("GaussianDropout", {"rate": 0.1}, [(4, 5)], (4, 5), N0, 0, "noise"),
    row("Dropout", {"rate": 0.5, "noise_shape": [None, 1, 1, 3]}, [(4, 5, 3)], (4, 5, 3), N0, 0, "noise-shape"),
    row("Dropout", {"rate": 0.5, "noise_shape": [1, 3]}, [(4, 5, 3)], (4, 5, 3), N0, 0, "noise-shape-short"),
    # Embedding: a lookup; the profiler counts 2 per id (negative ids mapped).
    row("Embedding", {"input_dim": 20, "output_dim": 4}, [(5,)], (5, 4), (80, 0), 10, "ids"),
    row("Embedding", {"input_dim": 7, "output_dim": 3}, [(None, 2)], (None, 2, 3), (21, 0), None, "unknown"),
    # PositionEmbedding: a slice of its table broadcast to the input; PrependToken: a concatenation. No FLOPs.
    row("PositionEmbedding", {"sequence_length": 512}, [(128, 768)], (128, 768), (393216, 0), 0, "bert"),
    row("PositionEmbedding", {"sequence_length": 8}, [(None, 4)], (None, 4), (32, 0), 0, "unknown"),
    row("PrependToken", {}, [(196, 768)], (197, 768), (768, 0), 0, "vit"),
    row("PrependToken", {}, [(None, 3)], (None, 3), (3, 0), 0, "unknown"),
    # Recurrent layers: every step's products, sums and biases (recurrent.py); several outputs with return_state.
    row("SimpleRNN", {"units": 4}, [(5, 3)], (4,), (32, 0), 5 * 64, "last"),
    row("SimpleRNN", {"units": 4, "return_sequences": True, "return_state": True}, [(5, 3)], ((5, 4), (4,)),
        (32, 0), 5 * 64, "state"),
    row("LSTM", {"units": 4}, [(5, 3)], (4,), (128, 0), 5 * 272, "last"),
    row("LSTM", {"units": 3, "return_state": True}, [(None, 2)], ((3,), (3,), (3,)), (72, 0), None, "state"),
    row("GRU", {"units": 4}, [(5, 3)], (4,), (108, 0), 5 * 224, "reset-after"),
    row("GRU", {"units": 4, "reset_after": False}, [(5, 3)], (4,), (96, 0), 5 * 212, "reset-before"),
    row("Bidirectional", {"layer": {"LSTM": {"units": 4}}}, [(5, 3)], (8,), (256, 0), 2720, "concat"),
    row("Bidirectional", {"layer": {"LSTM": {"units": 4, "return_sequences": True}}, "merge_mode": "sum"},
        [(5, 3)], (5, 4), (256, 0), 2720 + 20, "sum"),
    row("TimeDistributed", {"layer": {"Dense": {"units": 3}}}, [(5, 4)], (5, 3), (15, 0), 5 * 27, "dense"),
    row("TimeDistributed", {"layer": {"Dense": 2}}, [(None, 4)], (None, 2), (10, 0), None, "unknown"),
    # MultiHeadAttention: four projections, scaling and softmax of the scores, the two attention products.
    row("MultiHeadAttention", {"num_heads": 2, "key_dim": 3}, [(5, 4), (6, 4)], (5, 4), (118, 0),
        270 + 324 + 324 + 260 + 360 + 720, "cross"),
    row("MultiHeadAttention", {"num_heads": 1, "key_dim": 4, "return_attention_scores": True}, [(5, 4), (5, 4)],
        ((5, 4), (1, 5, 5)), (80, 0), 4 * 180 + 20 + 125 + 400, "scores"),
    row("Attention", {}, [(5, 4), (6, 4)], (5, 4), N0, 240 + 150 + 240, "dot"),
    row("Attention", {"score_mode": "concat", "return_attention_scores": True}, [(5, 4), (6, 4)],
        ((5, 4), (5, 6)), (1, 0), 630, "concat"),
]


@pytest.mark.parametrize("op, params, ins, out, counts, flops", ROWS)
def test_rules(op: str, params: dict, ins: list, out: tuple, counts: tuple, flops: Optional[int]) -> None:
    defn = REGISTRY[op]
    p = defn.params.model_validate(params)
    got = defn.infer(p, ins)
    assert got == out
    assert defn.count_params(p, ins, got) == counts
    assert defn.count_flops(p, ins, got) == flops


def test_every_layer_type_has_rows() -> None:
    covered = {r.values[0] for r in ROWS}
    assert covered == set(REGISTRY)


INVALID_PARAMS = [
    ("AddConstant", {"value": float("inf")}),
    ("CustomScaleLayer", {}),
    ("LayerScale", {"init_values": 1e-6, "projection_dim": 0}),
    ("LayerScale", {"init_values": 1e-6}),
    ("StochasticDepth", {"drop_path_rate": 1.5}),
    ("StochasticDepth", {}),
    ("AddTensors", {"value": 1.0}),
    ("Sequential", {"layers": []}),
    ("Sequential", {"layers": [{"Conv2D": {"filters": 2, "kernel_size": 1}}]}),
    ("Sequential", {"layers": [{"Dense": {"units": 2, "name": "d"}}, {"Dense": {"units": 2, "name": "d"}}]}),
    ("Sequential", {"layers": [{"Add": {"name": "a"}}]}),
    ("Sequential", {"layers": [{"AddConstant": {"value": 1.0, "name": "a"}}]}),
    ("AddConstant", {}),
    ("MultiplyConstant", {"value": "two"}),
    ("MultiplyConstant", {"value": float("nan")}),
    ("Conv2D", {"filters": 0, "kernel_size": 3}),
    ("Conv2D", {"filters": 4, "kernel_size": 0}),
    ("Conv2D", {"filters": 4, "kernel_size": [3, 3, 3]}),
    ("Conv2D", {"filters": 4, "kernel_size": "3"}),
    ("Conv2D", {"filters": 4, "kernel_size": True}),
    ("Conv2D", {"filters": 4.0, "kernel_size": 3}),
    ("Conv2D", {"filters": 4}),
    ("Conv2D", {"filters": 4, "kernel_size": 3, "padding": "full"}),
    ("Conv2D", {"filters": 4, "kernel_size": 3, "strides": 2, "dilation_rate": 2}),
    ("Conv2D", {"filters": 6, "kernel_size": 3, "groups": 4}),
    ("Conv2D", {"filters": 4, "kernel_size": 3, "activation": "relu7"}),
    ("Conv2D", {"filters": 4, "kernel_size": 3, "kernel": 3}),
    ("Conv2D", {"filters": 4, "kernel_size": 3, "data_format": "channels_first"}),
    ("Conv2D", {"filters": 4, "kernel_size": 3, "kernel_initializer": "glorot"}),
    ("Conv2D", {"filters": 4, "kernel_size": 3, "kernel_initializer": {"glorot_uniform": {"sead": 0}}}),
    ("Conv2D", {"filters": 4, "kernel_size": 3, "kernel_regularizer": {"l3": 0.1}}),
    ("Conv2D", {"filters": 4, "kernel_size": 3, "kernel_regularizer": {"l2": -1}}),
    ("Conv1D", {"filters": 4, "kernel_size": 3, "padding": "full"}),
    ("Conv1D", {"filters": 4, "kernel_size": [3, 3]}),
    ("DepthwiseConv2D", {"kernel_size": 3, "depth_multiplier": 0}),
    ("SeparableConv2D", {"filters": 4, "kernel_size": 3, "strides": [1, 2], "dilation_rate": [2, 1]}),
    ("Dense", {"units": -1}),
    ("Dense", {"units": 1 << 30}),
    ("Dropout", {"rate": 1.0}),
    ("Dropout", {"rate": -0.1}),
    ("Dropout", {"rate": "0.5"}),
    ("Dropout", {}),
    ("Rescaling", {"scale": float("nan")}),
    ("BatchNormalization", {"epsilon": 0}),
    ("BatchNormalization", {"axis": 1.5}),
    ("LayerNormalization", {"axis": []}),
    ("Activation", {"activation": "Relu"}),
    ("Activation", {}),
    ("ReLU", {"max_value": -1}),
    ("ReLU", {"negative_slope": -0.1}),
    ("ReLU", {"threshold": True}),
    ("Softmax", {"axis": "last"}),
    ("MaxPooling2D", {"pool_size": 0}),
    ("MaxPooling2D", {"pool_size": 2, "padding": "causal"}),
    ("AveragePooling2D", {}),
    ("GlobalAveragePooling2D", {"keepdims": [1]}),
    ("Reshape", {"target_shape": [-1, -1]}),
    ("Reshape", {"target_shape": [0, 3]}),
    ("Reshape", {"target_shape": []}),
    ("ZeroPadding2D", {"padding": -1}),
    ("ZeroPadding2D", {"padding": [1, 2, 3]}),
    ("Cropping2D", {"cropping": -1}),
    ("UpSampling2D", {"interpolation": "bicubic"}),
    ("Conv3D", {"filters": 4, "kernel_size": [3, 3]}),
    ("Conv3D", {"filters": 4, "kernel_size": 3, "padding": "causal"}),
    ("Conv2DTranspose", {"filters": 4, "kernel_size": 3, "strides": 2, "output_padding": 2}),
    ("Conv2DTranspose", {"filters": 4, "kernel_size": 3, "groups": 2}),
    ("Conv1DTranspose", {"filters": 4, "kernel_size": 3, "strides": 2, "dilation_rate": 2}),
    ("Conv3DTranspose", {"filters": 4, "kernel_size": 3, "output_padding": -1}),
    ("DepthwiseConv1D", {"kernel_size": 3, "padding": "causal"}),
    ("SeparableConv1D", {"kernel_size": 3}),
    ("MaxPooling3D", {"pool_size": [2, 2]}),
    ("AveragePooling1D", {}),
    ("UpSampling1D", {"size": [2]}),
    ("UpSampling3D", {"interpolation": "bilinear"}),
    ("ZeroPadding1D", {"padding": [1, 2, 3]}),
    ("ZeroPadding3D", {"padding": [1, 2]}),
    ("Cropping1D", {"data_format": "channels_last"}),
    ("Cropping3D", {"cropping": [[1, 2, 3], 1, 1]}),
    ("Concatenate", {"axis": None}),
    ("Add", {"axis": 1}),
    ("Input", {"shape": []}),
    ("Input", {"shape": [0, 3]}),
    ("Dropout", {"rate": 0.5, "noise_shape": [0, 3]}),
    ("Rescaling", {"scale": [[1.0, 2.0], [3.0]]}),
    ("Rescaling", {"scale": []}),
    ("Rescaling", {"scale": 1.0, "offset": "1"}),
    ("Dropout", {"rate": 0.5, "noise_shape": []}),
    ("Normalization", {"mean": 1.0}),
    ("Normalization", {"variance": 1.0}),
    ("Normalization", {"mean": [1.0, 2.0], "variance": 1.0}),
    ("Normalization", {"mean": [[1.0], [2.0]], "variance": [[1.0], [2.0]]}),
    ("Normalization", {"mean": [[1.0, 2.0], [3.0]], "variance": [[1.0, 2.0], [3.0]], "axis": [1, 2]}),
    ("Normalization", {"mean": 0.0, "variance": -1.0}),
    ("Normalization", {"mean": [], "variance": []}),
    ("Normalization", {"axis": "all"}),
    ("Resizing", {"height": 4}),
    ("Resizing", {"height": 4, "width": 4, "crop_to_aspect_ratio": True, "pad_to_aspect_ratio": True}),
    ("Resizing", {"height": 4, "width": 4, "interpolation": "cubic"}),
    ("Resizing", {"height": 4, "width": 4, "fill_mode": "reflect"}),
    ("CenterCrop", {"height": 0, "width": 4}),
    ("GroupNormalization", {"groups": 0}),
    ("GroupNormalization", {"groups": -2}),
    ("UnitNormalization", {"axis": []}),
    ("SpatialDropout2D", {"rate": 1.0}),
    ("SpatialDropout1D", {"rate": 0.5, "data_format": "channels_last"}),
    ("GaussianNoise", {"stddev": 1.5}),
    ("GaussianDropout", {"rate": 1.0}),
    ("Permute", {"dims": [1, 3]}),
    ("Permute", {"dims": [2, 2]}),
    ("Permute", {"dims": [0, 1]}),
    ("RepeatVector", {"n": 0}),
    ("Identity", {"x": 1}),
]


@pytest.mark.parametrize("op, params", INVALID_PARAMS, ids=[f"{op}-{i}" for i, (op, _) in enumerate(INVALID_PARAMS)])
def test_invalid_params(op: str, params: dict) -> None:
    with pytest.raises(pydantic.ValidationError):
        REGISTRY[op].params.model_validate(params)


SHAPE_ERRORS = [
    ("Conv2D", {"filters": 4, "kernel_size": 5}, [(3, 3, 2)], "E402"),
    ("Conv2D", {"filters": 4, "kernel_size": 3, "dilation_rate": 2}, [(4, 8, 2)], "E402"),
    ("Conv2D", {"filters": 4, "kernel_size": 3, "groups": 2}, [(8, 8, 3)], "E400"),
    ("Conv2D", {"filters": 4, "kernel_size": 3}, [(4, 4)], "E400"),
    ("Conv2D", {"filters": 4, "kernel_size": 3}, [(8, 8, None)], "E400"),
    ("Conv1D", {"filters": 4, "kernel_size": 3}, [(8, 8, 2)], "E400"),
    ("Conv1D", {"filters": 4, "kernel_size": 9}, [(8, 2)], "E402"),
    ("DepthwiseConv2D", {"kernel_size": 9}, [(8, 8, 2)], "E402"),
    ("SeparableConv2D", {"filters": 2, "kernel_size": 3}, [(8, 8)], "E400"),
    ("Dense", {"units": 3}, [(None,)], "E400"),
    ("MaxPooling2D", {"pool_size": 5}, [(3, 3, 2)], "E402"),
    ("AveragePooling2D", {"pool_size": 2}, [(1, 8, 2)], "E402"),
    ("GlobalAveragePooling2D", {}, [(4, 4)], "E400"),
    ("GlobalMaxPooling2D", {}, [(4, 4, 4, 4)], "E400"),
    ("Cropping2D", {"cropping": 2}, [(4, 3, 2)], "E402"),
    ("ZeroPadding2D", {}, [(4, 3)], "E400"),
    ("UpSampling2D", {}, [(4,)], "E400"),
    ("Add", {}, [(4, 3), (4, 5)], "E401"),
    ("Add", {}, [(4, 3), (4, 3, 1)], "E401"),
    ("Multiply", {}, [(2, 2), (2, 3)], "E401"),
    ("Multiply", {}, [(4, 4, 8), (1, 1, 4)], "E401"),
    ("Add", {}, [(3, 2), (1, 2), (2, 2)], "E401"),
    ("Maximum", {}, [(2, 3), (2, 3), (3, 3)], "E401"),
    ("Concatenate", {}, [(4, 3), (5, 3)], "E401"),
    ("Concatenate", {}, [(4, 3), (4, 3, 1)], "E401"),
    ("Concatenate", {"axis": 0}, [(4, 3), (4, 3)], "E400"),
    ("Concatenate", {"axis": 3}, [(4, 3), (4, 3)], "E400"),
    ("Reshape", {"target_shape": [5, -1]}, [(4, 3)], "E400"),
    ("Reshape", {"target_shape": [5, 2]}, [(4, 3)], "E400"),
    ("BatchNormalization", {"axis": 5}, [(4, 4, 1)], "E400"),
    ("BatchNormalization", {"axis": 0}, [(4, 4, 1)], "E400"),
    ("BatchNormalization", {}, [(4, None)], "E400"),
    ("LayerNormalization", {"axis": [1, -3]}, [(4, 4, 1)], "E400"),
    ("LayerNormalization", {"axis": 1}, [(None, 4)], "E400"),
    ("Softmax", {"axis": 3}, [(2, 3)], "E400"),
    ("Conv3D", {"filters": 4, "kernel_size": 3}, [(8, 8, 2)], "E400"),
    ("Conv3D", {"filters": 4, "kernel_size": 3}, [(8, 2, 8, 2)], "E402"),
    ("Conv2DTranspose", {"filters": 4, "kernel_size": 3}, [(8, 2)], "E400"),
    ("Conv2DTranspose", {"filters": 4, "kernel_size": 2, "strides": 2, "padding": "same", "output_padding": 0},
     [(1, 4, 2)], "E402"),
    ("Conv1DTranspose", {"filters": 4, "kernel_size": 3}, [(None,)], "E400"),
    ("DepthwiseConv1D", {"kernel_size": 5}, [(4, 2)], "E402"),
    ("MaxPooling3D", {}, [(1, 4, 4, 2)], "E402"),
    ("GlobalAveragePooling3D", {}, [(4, 4, 2)], "E400"),
    ("Cropping1D", {"cropping": [2, 2]}, [(4, 3)], "E402"),
    ("Cropping3D", {}, [(4, 2, 4, 3)], "E402"),
    ("ZeroPadding1D", {}, [(4, 3, 3)], "E400"),
    ("UpSampling3D", {}, [(4, 3, 3)], "E400"),
    ("Dropout", {"rate": 0.5, "noise_shape": [None, 2, 1, 3]}, [(4, 5, 3)], "E400"),
    ("Rescaling", {"scale": [1.0, 2.0]}, [(4, 3)], "E400"),
    ("Rescaling", {"scale": 1.0, "offset": [[[1.0]], [[2.0]]]}, [(4, 3)], "E400"),
    ("Rescaling", {"scale": [1.0, 2.0, 3.0]}, [(4, 1)], "E400"),
    ("Dropout", {"rate": 0.5, "noise_shape": [None, 1, 1]}, [(4, 5, 3)], "E400"),
    ("Dropout", {"rate": 0.5, "noise_shape": [1, 1, 1, 1, 1]}, [(4, 5, 3)], "E400"),
    ("Normalization", {"mean": [1.0, 2.0], "variance": [1.0, 2.0]}, [(4, 3)], "E400"),
    ("Normalization", {"axis": 1}, [(None, 3)], "E400"),
    ("Normalization", {"axis": [1, -2]}, [(4, 3)], "E400"),
    ("Normalization", {"axis": 0}, [(4, 3)], "E400"),
    ("Resizing", {"height": 4, "width": 4}, [(4, 3)], "E400"),
    ("CenterCrop", {"height": 4, "width": 4}, [(4, 3, 2, 1)], "E400"),
    ("GroupNormalization", {"groups": 4}, [(4, 6)], "E400"),
    ("LayerScale", {"init_values": 1e-6, "projection_dim": 8}, [(4, 4, 6)], "E400"),
    ("AddTensors", {}, [(4, 4, 6), (4, 4, 8)], "E401"),
    ("Sequential", {"layers": [{"Dense": {"units": 8, "name": "d"}},
                               {"LayerScale": {"init_values": 1e-6, "projection_dim": 6, "name": "s"}}]},
     [(4, 4, 6)], "E400"),
    ("CustomScaleLayer", {"scale": 0.1}, [(4, 4, 6), (4, 4, 8)], "E401"),
    ("GroupNormalization", {"groups": 8}, [(4, 6)], "E400"),
    ("GroupNormalization", {}, [(4, None)], "E400"),
    ("UnitNormalization", {"axis": 3}, [(4, 6)], "E400"),
    ("SpatialDropout1D", {"rate": 0.1}, [(4, 5, 6)], "E400"),
    ("SpatialDropout3D", {"rate": 0.1}, [(4, 5, 6)], "E400"),
    ("Permute", {"dims": [2, 1]}, [(4, 5, 6)], "E400"),
    ("RepeatVector", {"n": 2}, [(4, 5)], "E400"),
]


def test_group_normalization_error_names_the_divisors() -> None:
    defn = REGISTRY["GroupNormalization"]
    with pytest.raises(ShapeError, match=r"divide the number of channels \(6\) into equal groups: use one of 1, 2, 3, "
                                         r"6 \(or -1, one group per channel\)\. Received: groups=4"):
        defn.infer(defn.params(groups=4), [(4, 6)])


def test_permute_error_says_what_a_permutation_is() -> None:
    with pytest.raises(pydantic.ValidationError, match=r"dims must be a permutation of 1 \.\.\. 2"):
        REGISTRY["Permute"].params.model_validate({"dims": [1, 3]})


@pytest.mark.parametrize("op, params, ins, code", SHAPE_ERRORS,
                         ids=[f"{r[0]}-{i}" for i, r in enumerate(SHAPE_ERRORS)])
def test_shape_errors(op: str, params: dict, ins: list, code: str) -> None:
    defn = REGISTRY[op]
    with pytest.raises(ShapeError) as info:
        defn.infer(defn.params.model_validate(params), ins)
    assert info.value.code == code
    message = str(info.value)
    assert message.startswith(op) and " expects " in message and "Received: " in message


def test_merge_error_message_names_all_shapes() -> None:
    with pytest.raises(ShapeError, match=r"Received: input_shape=\[\(4, 3\), \(4, 5\)\]"):
        REGISTRY["Add"].infer(REGISTRY["Add"].params(), [(4, 3), (4, 5)])


def test_broadcast_error_names_the_two_shapes_and_the_axis() -> None:
    with pytest.raises(ShapeError) as info:
        REGISTRY["Multiply"].infer(REGISTRY["Multiply"].params(), [(8, 8, 16), (1, 1, 4)])
    assert "shapes (8, 8, 16) and (1, 1, 4) differ on axis -1 (16 vs 4" in str(info.value)
    with pytest.raises(ShapeError) as info:  # the shape folded so far against the third input
        REGISTRY["Add"].infer(REGISTRY["Add"].params(), [(3, 1), (1, 2), (2, 2)])
    assert "shapes (3, 2) and (2, 2) differ on axis -2 (3 vs 2" in str(info.value)


def test_spatial_error_message() -> None:
    defn = REGISTRY["Conv2D"]
    with pytest.raises(ShapeError) as info:
        defn.infer(defn.params(filters=4, kernel_size=5), [(3, 3, 2)])
    assert "Received: input_shape=(3, 3, 2), kernel_size=(5, 5)" in str(info.value)


@pytest.mark.parametrize("op", sorted(REGISTRY))
def test_definition_metadata(op: str) -> None:
    defn = REGISTRY[op]
    assert defn.op == op
    assert defn.family in FAMILIES
    lo, hi = defn.arity
    assert lo >= 0 and (hi is None or hi >= lo)
    assert defn.positional is None or defn.positional in defn.params.model_fields
    assert defn.doc and defn.params.__doc__
    assert defn.keras_name.isidentifier()


@pytest.mark.parametrize("op, params", [
    (r.values[0], r.values[1]) for r in ROWS
], ids=[r.id for r in ROWS])
def test_to_config_is_plain_data(op: str, params: dict) -> None:
    cfg = REGISTRY[op].params.model_validate(params).to_config()
    json.dumps(cfg)
    assert set(cfg) <= set(REGISTRY[op].params.model_fields)


def test_initializer_and_regularizer_configs() -> None:
    p = REGISTRY["Conv2D"].params.model_validate({
        "filters": 8, "kernel_size": 3, "kernel_initializer": {"glorot_uniform": {"seed": 0}},
        "kernel_regularizer": {"l2": 1e-4}, "bias_regularizer": {"l1": 1e-5, "l2": 1e-4},
    })
    cfg = p.to_config()
    assert cfg["kernel_initializer"] == {"class_name": "GlorotUniform", "config": {"seed": 0}}
    assert cfg["bias_initializer"] == "zeros"
    assert cfg["kernel_regularizer"] == {"class_name": "L2", "config": {"l2": 1e-4}}
    assert cfg["bias_regularizer"] == {"class_name": "L1L2", "config": {"l1": 1e-5, "l2": 1e-4}}
    assert cfg["kernel_size"] == (3, 3) and cfg["data_format"] is None


def test_keras_defaults() -> None:
    bn = REGISTRY["BatchNormalization"].params()
    assert (bn.axis, bn.momentum, bn.epsilon, bn.center, bn.scale) == (-1, 0.99, 0.001, True, True)
    pool = REGISTRY["MaxPooling2D"].params()
    assert (pool.pool_size, pool.strides, pool.padding) == ((2, 2), None, "valid")
    assert REGISTRY["ZeroPadding2D"].params().padding == ((1, 1), (1, 1))
    assert REGISTRY["LeakyReLU"].params().negative_slope == 0.3
    assert REGISTRY["LayerNormalization"].params(axis=[1, 2]).to_config()["axis"] == [1, 2]


def test_positional_shorthands() -> None:
    expected = {"Activation": "activation", "Dropout": "rate", "MaxPooling2D": "pool_size",
                "ZeroPadding2D": "padding", "Dense": "units", "Conv2D": "filters", "Input": "shape"}
    assert {op: REGISTRY[op].positional for op in expected} == expected


def test_fused_activation_counts_like_the_layer() -> None:
    for name in ActivationName.__args__:  # type: ignore[attr-defined]
        act = REGISTRY["Activation"]
        p = act.params(activation=name)
        standalone = act.count_flops(p, [(2, 3, 4)], (2, 3, 4))
        dense = REGISTRY["Dense"]
        dp = dense.params(units=4, activation=name)
        fused = dense.count_flops(dp, [(2, 3, 5)], (2, 3, 4))
        plain = dense.count_flops(dense.params(units=4), [(2, 3, 5)], (2, 3, 4))
        assert fused - plain == standalone == activation_flops(name, (2, 3, 4))


def test_relu_ops_per_element_table() -> None:
    assert relu_ops_per_element(None, 0.0, 0.0) == 0
    assert relu_ops_per_element(6.0, 0.0, 0.0) == 0
    assert relu_ops_per_element(4.0, 0.0, 0.0) == 2
    assert relu_ops_per_element(None, 0.3, 0.0) == 0
    assert relu_ops_per_element(None, 0.3, 1.0) == 5


@given(n=st.integers(1, 64), k=st.integers(1, 9), s=st.integers(1, 4), d=st.integers(1, 4))
def test_valid_window_count_matches_enumeration(n: int, k: int, s: int, d: int) -> None:
    span = (k - 1) * d + 1
    starts = [i for i in range(0, n, s) if i + span <= n]
    assert max(window_output_dim(n, k, s, d, "valid") or 0, 0) == len(starts)
    assert window_output_dim(n, k, s, d, "same") == len(range(0, n, s))


def test_layer_modules_do_not_import_keras() -> None:
    root = Path(__file__).resolve().parents[2] / "archcompiler" / "layers"
    for path in root.glob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            names = []
            if isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module:
                names = [node.module]
            for name in names:
                assert name.split(".")[0] not in {"tensorflow", "keras", "tf_keras"}, f"{path.name} imports {name}"


def test_names_of_other_libraries_get_archcs_name_as_the_hint() -> None:
    from archcompiler.diagnostics import CompileError
    from archcompiler.layers import KNOWN_AS
    from archcompiler.pipeline import compile_text

    text = "archspec: 1\nmodel:\n  inputs: {x: {shape: [4, 4, 8]}}\n  layers:\n    - InstanceNormalization\n" \
           "    - GroupNorm: 2\n"
    with pytest.raises(CompileError) as info:
        compile_text(text, "net.yaml")
    hints = [d.hint for d in info.value.diagnostics]
    assert hints == ["archc has no InstanceNormalization: use GroupNormalization with `groups: -1` (one group per "
                     "channel)", "did you mean 'GroupNormalization'?"]
    for name, other in KNOWN_AS.items():
        assert name not in REGISTRY
        assert all(word in REGISTRY for word in re.findall(r"\b[A-Z][A-Za-z0-9]+\b", other)), other
