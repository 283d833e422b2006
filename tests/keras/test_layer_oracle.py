"""Keras and TensorFlow's profiler as the oracle for every registry entry's static rules.

For each case a one-layer Keras model is built from the registry entry with the Keras backend's own ``make_layer``
and ``call_layer`` (``getattr(keras.layers, defn.keras_name)(**params.to_config(), name=...)``); its output shape,
parameter counts and profiler FLOPs (batch of one) must equal archc's static figures. Every registry entry needs at
least two cases. A layer with several outputs (LSTM with ``return_state``, attention with its scores) is compared
output by output; integer inputs (Embedding's ids) and named inputs (attention's query, value, key, given by
position here) are built as the backend builds them. The profiler has no rule for ``Einsum`` operations
(MultiHeadAttention's attention products): their FLOPs are added from the frozen graph's shapes
(``kerasutil.einsum_flops``).
"""

from __future__ import annotations

from typing import Any, NamedTuple

import pytest

from archcompiler.layers import REGISTRY

kerasutil = pytest.importorskip("kerasutil")
keras = kerasutil.keras

pytestmark = pytest.mark.keras


class Case(NamedTuple):
    """One parameter set and input shapes (batch excluded) for a layer type.

    ``profiler_blind``: TensorFlow's profiler misses some or all of this layer's work (a grouped convolution runs in
    an XLA function it cannot see into; it has no rule for 3D window pools nor for a 3D transposed convolution's
    kernel); archc counts the real work there, a documented deviation, and the profiler must report exactly the
    static figure minus ``kerasutil.profiler_unseen_flops`` (which says what it misses).
    ``looped``: the layer runs its time steps in a ``while`` loop, whose body the profiler counts once at most
    whatever the number of steps; archc counts every step (the same layer with ``unroll: true``, whose steps the
    profiler sees, is a case of its own and matches exactly).

    ``dtypes``: the element type of each input (float32 when not given).
    """

    params: dict[str, Any]
    shapes: list[tuple[int, ...]]
    profiler_blind: bool = False
    looped: bool = False
    dtypes: tuple[str, ...] = ()


IMG = [(8, 8, 4)]
VOL = [(5, 6, 7, 2)]
ACT = [(2, 3, 4)]
ACTIVATIONS = ["linear", "relu", "relu6", "sigmoid", "softmax", "tanh", "elu", "selu", "softplus", "softsign", "swish",
               "silu", "gelu", "hard_sigmoid", "hard_swish", "hard_silu", "exponential", "leaky_relu", "mish",
               "log_softmax"]

CASES: dict[str, list[Case]] = {
    "Input": [Case({"shape": [8, 8, 3]}, []), Case({"shape": [16]}, [])],
    "Conv2D": [
        Case({"filters": 4, "kernel_size": 3}, IMG),
        Case({"filters": 4, "kernel_size": 3, "strides": 2, "padding": "same", "use_bias": False}, IMG),
        Case({"filters": 4, "kernel_size": [2, 3], "strides": [2, 1], "padding": "same"}, [(7, 9, 4)]),
        Case({"filters": 5, "kernel_size": 3, "dilation_rate": 2, "padding": "same"}, [(9, 9, 3)]),
        Case({"filters": 4, "kernel_size": [3, 2], "dilation_rate": [2, 3]}, [(11, 9, 4)]),
        Case({"filters": 4, "kernel_size": 3, "dilation_rate": [1, 2], "padding": "same"}, [(9, 10, 2)]),
        Case({"filters": 6, "kernel_size": 1, "activation": "softmax",
              "kernel_initializer": {"glorot_uniform": {"seed": 0}}, "kernel_regularizer": {"l2": 1e-4},
              "bias_regularizer": {"l1": 1e-5, "l2": 1e-4}}, [(3, 5, 4)]),
        Case({"filters": 4, "kernel_size": 3, "activation": "hard_swish", "bias_initializer": "ones"}, IMG),
        Case({"filters": 4, "kernel_size": 3, "groups": 2}, IMG, profiler_blind=True),
    ],
    "Conv1D": [
        Case({"filters": 4, "kernel_size": 3}, [(10, 2)]),
        Case({"filters": 4, "kernel_size": 3, "strides": 2, "padding": "same"}, [(10, 2)]),
        Case({"filters": 4, "kernel_size": 3, "padding": "causal", "dilation_rate": 2}, [(9, 2)]),
        Case({"filters": 4, "kernel_size": 2, "dilation_rate": 3, "activation": "swish"}, [(11, 3)]),
    ],
    "DepthwiseConv2D": [
        Case({"kernel_size": 3}, IMG),
        Case({"kernel_size": 3, "depth_multiplier": 2, "use_bias": False, "padding": "same", "strides": 2}, IMG),
        Case({"kernel_size": 3, "dilation_rate": 2, "padding": "same", "activation": "softmax"}, [(9, 9, 4)]),
        Case({"kernel_size": [2, 3], "dilation_rate": [3, 1],
              "depthwise_initializer": {"he_normal": {"seed": 1}}, "depthwise_regularizer": {"l1": 1e-3}},
             [(10, 7, 2)]),
    ],
    "SeparableConv2D": [
        Case({"filters": 6, "kernel_size": 3}, IMG),
        Case({"filters": 6, "kernel_size": 3, "depth_multiplier": 2, "use_bias": False, "strides": 2,
              "padding": "same"}, IMG),
        Case({"filters": 6, "kernel_size": 3, "padding": "same", "dilation_rate": 2, "activation": "gelu",
              "pointwise_regularizer": {"l2": 1e-4}}, [(9, 9, 4)]),
    ],
    "Dense": [
        Case({"units": 10, "activation": "softmax"}, [(7,)]),
        Case({"units": 10, "use_bias": False, "activation": "mish"}, [(2, 3, 7)]),
        Case({"units": 3, "activation": "hard_sigmoid", "kernel_initializer": {"glorot_uniform": {"seed": 0}},
              "kernel_regularizer": {"l2": 1e-4}}, [(5,)]),
    ],
    "Dropout": [Case({"rate": 0.5}, IMG), Case({"rate": 0.0, "seed": 3}, [(5,)]),
                Case({"rate": 0.3, "noise_shape": [None, 1, 1, 4]}, IMG),
                Case({"rate": 0.3, "noise_shape": [1, 4]}, IMG)],
    "Rescaling": [Case({"scale": 1 / 255}, IMG), Case({"scale": 1 / 127.5, "offset": -1.0}, [(5,)]),
                  Case({"scale": [0.5, 1.0, 2.0, 4.0], "offset": [0.0, -1.0, 1.0, 2.0]}, IMG),
                  Case({"scale": [[2.0], [3.0]], "offset": 1.0}, [(3, 2, 4)])],
    "Identity": [Case({}, IMG), Case({}, [(5,)])],
    "Normalization": [
        Case({}, [(4, 5, 3)]),
        Case({"axis": None}, [(4, 5, 3)]),
        Case({"axis": [1, 2]}, [(4, 5, 3)]),
        Case({"axis": [-1, 1], "invert": True}, [(4, 5, 3)]),
        Case({"mean": 2.0, "variance": 3.0}, [(4, 5, 3)]),
        Case({"mean": [1.0, 2.0, 3.0], "variance": [1.0, 4.0, 9.0]}, [(4, 5, 3)]),
        Case({"axis": [1, 2], "mean": [[1.0], [2.0], [3.0], [4.0]], "variance": [[1.0], [2.0], [3.0], [4.0]],
              "invert": True}, [(4, 5, 3)]),
        Case({}, [(6,)]),
    ],
    "Resizing": [
        Case({"height": 6, "width": 7}, [(4, 5, 3)]),
        Case({"height": 3, "width": 5, "interpolation": "nearest"}, [(8, 8, 2)]),
        Case({"height": 3, "width": 5, "interpolation": "bicubic", "antialias": True}, [(8, 8, 2)]),
        Case({"height": 3, "width": 5, "interpolation": "area", "antialias": True}, [(8, 8, 2)]),
        Case({"height": 3, "width": 5, "interpolation": "nearest", "antialias": True}, [(8, 8, 2)]),
        Case({"height": 16, "width": 12, "interpolation": "lanczos5"}, [(8, 8, 2)]),
        Case({"height": 16, "width": 12, "antialias": True}, [(8, 8, 2)]),
        Case({"height": 3, "width": 9, "crop_to_aspect_ratio": True}, [(8, 8, 2)]),
        Case({"height": 5, "width": 3, "crop_to_aspect_ratio": True, "antialias": True}, [(7, 6, 2)]),
        Case({"height": 4, "width": 4, "pad_to_aspect_ratio": True}, [(8, 8, 2)]),
        Case({"height": 3, "width": 9, "pad_to_aspect_ratio": True, "fill_value": 1.0}, [(8, 8, 2)]),
        Case({"height": 9, "width": 3, "pad_to_aspect_ratio": True, "interpolation": "lanczos3"}, [(8, 8, 2)]),
        Case({"height": 5, "width": 3, "pad_to_aspect_ratio": True, "antialias": True}, [(7, 6, 2)]),
    ],
    "CenterCrop": [
        Case({"height": 2, "width": 3}, [(4, 5, 3)]),
        Case({"height": 4, "width": 5}, [(4, 5, 3)]),
        Case({"height": 6, "width": 3}, [(4, 5, 3)]),
        Case({"height": 6, "width": 7}, [(4, 5, 3)]),
    ],
    "BatchNormalization": [
        Case({}, [(5, 5, 8)]),
        Case({"axis": 3, "epsilon": 1.001e-5, "momentum": 0.9}, [(5, 5, 8)]),
        Case({"scale": False}, [(5, 5, 8)]),
        Case({"center": False}, [(4, 6)]),
        Case({"center": False, "scale": False, "axis": 1}, [(5, 6, 8)]),
        Case({}, [(8,)]),
    ],
    "LayerNormalization": [
        Case({"rms_scaling": True}, [(5, 4)]),
        Case({"rms_scaling": True, "axis": [1, 2], "epsilon": 1e-6}, [(3, 4, 2)]),
        Case({}, [(5, 6, 8)]),
        Case({"scale": False}, [(5, 6, 8)]),
        Case({"center": False, "axis": 1}, [(5, 6, 8)]),
        Case({"center": False, "scale": False}, [(3, 4)]),
        Case({"axis": [1, 2]}, [(5, 6, 8)]),
        Case({"axis": [-1, 1], "epsilon": 1e-6}, [(3, 2, 4)]),
        Case({}, [(8,)]),
    ],
    "GroupNormalization": [
        Case({"groups": 2}, [(4, 5, 6)]),
        Case({"groups": 3, "scale": False}, [(4, 5, 6)]),
        Case({"groups": 3, "center": False}, [(4, 5, 6)]),
        Case({"groups": 3, "center": False, "scale": False, "epsilon": 1e-5}, [(4, 5, 6)]),
        Case({"groups": -1}, [(4, 5, 6)]),
        Case({"groups": 2, "axis": 1}, [(4, 5, 6)]),
        Case({"groups": 2}, [(6,)]),
        Case({"groups": 1, "gamma_regularizer": {"l2": 1e-4}}, [(3, 4)]),
    ],
    "UnitNormalization": [
        Case({}, [(4, 5, 6)]), Case({"axis": [1, 2]}, [(4, 5, 6)]), Case({"axis": 1}, [(4, 5, 6)]), Case({}, [(7,)]),
    ],
    "Activation": [Case({"activation": name}, ACT) for name in ACTIVATIONS],
    "ReLU": [
        Case({}, ACT),
        Case({"max_value": 6.0}, ACT),
        Case({"max_value": 5.0}, ACT),
        Case({"negative_slope": 0.1}, ACT),
        Case({"threshold": 1.0}, ACT),
        Case({"max_value": 6.0, "negative_slope": 0.1}, ACT),
        Case({"max_value": 4.0, "negative_slope": 0.1}, ACT),
        Case({"max_value": 6.0, "threshold": 0.5}, ACT),
        Case({"negative_slope": 0.2, "threshold": 0.5}, ACT),
        Case({"max_value": 6.0, "negative_slope": 0.1, "threshold": 1.0}, ACT),
    ],
    "LeakyReLU": [Case({}, ACT), Case({"negative_slope": 0.1}, [(5,)])],
    "Softmax": [
        Case({}, ACT), Case({"axis": 3}, ACT), Case({"axis": 1}, ACT), Case({"axis": -2}, ACT),
        Case({"axis": -3}, ACT), Case({"axis": 1}, [(6,)]),
    ],
    "MaxPooling2D": [
        Case({}, [(7, 7, 3)]),
        Case({"pool_size": 3, "strides": 2, "padding": "same"}, [(7, 7, 3)]),
        Case({"pool_size": [2, 3], "strides": [1, 2]}, [(7, 8, 3)]),
        Case({"pool_size": 5, "padding": "same"}, [(3, 3, 2)]),
    ],
    "AveragePooling2D": [
        Case({"pool_size": 2}, [(7, 7, 3)]),
        Case({"pool_size": [2, 3], "strides": [1, 2], "padding": "same"}, [(7, 7, 3)]),
        Case({"pool_size": 3, "strides": 1}, [(5, 6, 2)]),
    ],
    "GlobalAveragePooling2D": [Case({}, [(7, 7, 3)]), Case({"keepdims": True}, [(4, 5, 6)])],
    "GlobalMaxPooling2D": [Case({}, [(7, 7, 3)]), Case({"keepdims": True}, [(4, 5, 6)])],
    "Add": [Case({}, [(4, 3)] * 2), Case({}, [(2, 4, 3)] * 3), Case({}, [(4, 4, 3), (1, 1, 3)]),
            Case({}, [(4, 3), (3,)]), Case({}, [(1, 3), (4, 5, 1), (5, 3)])],
    "Subtract": [Case({}, [(4, 3)] * 2), Case({}, [(2, 2, 5)] * 2), Case({}, [(2, 1, 5), (2, 3, 1)])],
    "Multiply": [Case({}, [(4, 3)] * 2), Case({}, [(2, 4, 3)] * 3), Case({}, [(4, 4, 8), (1, 1, 8)]),
                 Case({}, [(1, 1, 3), (4, 1, 3), (4, 5, 1)])],
    "Average": [Case({}, [(4, 3)] * 2), Case({}, [(2, 4, 3)] * 3), Case({}, [(3, 1), (1, 4), (3, 4)])],
    "Maximum": [Case({}, [(4, 3)] * 2), Case({}, [(2, 4, 3)] * 3), Case({}, [(4, 3), (1, 3)])],
    "Minimum": [Case({}, [(4, 3)] * 2), Case({}, [(2, 4, 3)] * 3), Case({}, [(2, 4, 3), (3,)])],
    "Concatenate": [
        Case({}, [(4, 3), (4, 5)]),
        Case({"axis": 1}, [(4, 3), (2, 3), (1, 3)]),
        Case({"axis": -3}, [(2, 3, 4), (1, 3, 4)]),
    ],
    "SpatialDropout1D": [Case({"rate": 0.3}, [(4, 5)]), Case({"rate": 0.0, "seed": 1}, [(3, 2)])],
    "SpatialDropout2D": [Case({"rate": 0.3}, IMG), Case({"rate": 0.5, "seed": 2}, [(3, 4, 2)])],
    "SpatialDropout3D": [Case({"rate": 0.3}, [(4, 5, 3, 2)]), Case({"rate": 0.1, "seed": 7}, [(2, 2, 2, 1)])],
    "GaussianNoise": [Case({"stddev": 0.1}, IMG), Case({"stddev": 0.0, "seed": 3}, [(5,)])],
    "GaussianDropout": [Case({"rate": 0.1}, IMG), Case({"rate": 0.0, "seed": 3}, [(5,)])],
    "Flatten": [Case({}, [(7, 7, 3)]), Case({}, [(5,)])],
    "Reshape": [Case({"target_shape": [-1, 3]}, [(7, 7, 3)]), Case({"target_shape": [1, 1, 12]}, [(4, 3)])],
    "ZeroPadding2D": [
        Case({}, [(5, 5, 2)]), Case({"padding": 3}, [(5, 5, 2)]), Case({"padding": [1, 2]}, [(5, 5, 2)]),
        Case({"padding": [[1, 2], [3, 0]]}, [(5, 4, 2)]),
    ],
    "Cropping2D": [Case({"cropping": 1}, [(4, 3, 2)]), Case({"cropping": [[0, 1], [2, 1]]}, [(5, 6, 2)])],
    "UpSampling2D": [
        Case({}, [(4, 3, 2)]), Case({"size": [1, 3]}, [(4, 3, 2)]),
        Case({"size": 3, "interpolation": "bilinear"}, [(4, 3, 2)]),
    ],
    # 1D and 3D members of the rank-generic families
    "Conv3D": [
        Case({"filters": 4, "kernel_size": 3}, VOL),
        Case({"filters": 3, "kernel_size": [1, 3, 2], "strides": [1, 2, 2], "padding": "same", "use_bias": False},
             VOL),
        Case({"filters": 4, "kernel_size": 3, "dilation_rate": 2, "padding": "same", "activation": "swish"}, VOL),
        Case({"filters": 4, "kernel_size": 2, "dilation_rate": [1, 2, 3]}, [(4, 6, 8, 2)]),
        Case({"filters": 4, "kernel_size": 3, "groups": 2, "kernel_regularizer": {"l2": 1e-4}}, VOL,
             profiler_blind=True),
    ],
    "Conv1DTranspose": [
        Case({"filters": 4, "kernel_size": 3, "strides": 2}, [(5, 2)]),
        Case({"filters": 4, "kernel_size": 3, "strides": 2, "padding": "same", "activation": "softmax"}, [(5, 2)]),
        # 2 * 10 * 2 * 16 / (2 * 3) = 106.7: the profiler truncates
        Case({"filters": 2, "kernel_size": 4, "strides": 3, "output_padding": 1}, [(3, 2)]),
        Case({"filters": 3, "kernel_size": 3, "dilation_rate": 2, "padding": "same", "use_bias": False}, [(6, 2)]),
    ],
    "Conv2DTranspose": [
        Case({"filters": 4, "kernel_size": 3}, [(5, 5, 2)]),
        Case({"filters": 4, "kernel_size": 3, "strides": 2}, [(5, 5, 2)]),
        Case({"filters": 4, "kernel_size": 2, "strides": 2, "padding": "same"}, [(5, 4, 3)]),
        Case({"filters": 4, "kernel_size": 2, "strides": 3}, [(5, 5, 2)]),
        Case({"filters": 4, "kernel_size": 3, "strides": 2, "padding": "same", "output_padding": 1}, [(5, 5, 2)]),
        Case({"filters": 4, "kernel_size": [3, 2], "strides": [2, 3], "output_padding": [1, 0],
              "kernel_initializer": {"he_normal": {"seed": 2}}, "bias_regularizer": {"l2": 1e-3}}, [(4, 5, 2)]),
        Case({"filters": 4, "kernel_size": 2, "strides": 2, "padding": "same", "output_padding": 0}, [(5, 5, 2)]),
        Case({"filters": 4, "kernel_size": 3, "dilation_rate": 2, "activation": "gelu"}, [(5, 5, 2)]),
        Case({"filters": 4, "kernel_size": 3, "dilation_rate": [2, 1], "padding": "same"}, [(5, 6, 2)]),
    ],
    "Conv3DTranspose": [
        Case({"filters": 4, "kernel_size": 3, "strides": 2}, [(3, 4, 5, 2)], profiler_blind=True),
        Case({"filters": 2, "kernel_size": 2, "strides": [1, 2, 2], "padding": "same", "use_bias": False},
             [(3, 4, 5, 2)], profiler_blind=True),
        Case({"filters": 2, "kernel_size": 3, "strides": 2, "output_padding": [1, 0, 1], "activation": "swish"},
             [(2, 3, 4, 2)], profiler_blind=True),
    ],
    "DepthwiseConv1D": [
        Case({"kernel_size": 3}, [(9, 3)]),
        Case({"kernel_size": 3, "depth_multiplier": 2, "strides": 2, "padding": "same", "use_bias": False},
             [(9, 3)]),
        Case({"kernel_size": 3, "dilation_rate": 2, "padding": "same", "activation": "hard_swish",
              "depthwise_regularizer": {"l1": 1e-3}}, [(9, 3)]),
    ],
    "SeparableConv1D": [
        Case({"filters": 5, "kernel_size": 3}, [(9, 3)]),
        Case({"filters": 5, "kernel_size": 3, "depth_multiplier": 2, "strides": 2, "padding": "same",
              "use_bias": False}, [(9, 3)]),
        Case({"filters": 5, "kernel_size": 3, "dilation_rate": 2, "padding": "same",
              "pointwise_initializer": {"glorot_normal": {"seed": 0}}}, [(9, 3)]),
    ],
    "MaxPooling1D": [
        Case({}, [(9, 3)]), Case({"pool_size": 3, "strides": 2, "padding": "same"}, [(9, 3)]),
        Case({"pool_size": [4], "strides": 1}, [(9, 2)]),
    ],
    "AveragePooling1D": [
        Case({"pool_size": 2}, [(9, 3)]), Case({"pool_size": 3, "strides": 2, "padding": "same"}, [(9, 3)]),
    ],
    "MaxPooling3D": [
        Case({}, [(4, 5, 6, 3)], profiler_blind=True),
        Case({"pool_size": [1, 2, 3], "strides": [1, 2, 2], "padding": "same"}, [(4, 5, 6, 3)], profiler_blind=True),
    ],
    "AveragePooling3D": [
        Case({"pool_size": 2}, [(4, 5, 6, 3)], profiler_blind=True),
        Case({"pool_size": 3, "strides": 2, "padding": "same"}, [(4, 5, 6, 2)], profiler_blind=True),
    ],
    "GlobalAveragePooling1D": [Case({}, [(9, 3)]), Case({"keepdims": True}, [(7, 4)])],
    "GlobalMaxPooling1D": [Case({}, [(9, 3)]), Case({"keepdims": True}, [(7, 4)])],
    "GlobalAveragePooling3D": [Case({}, [(4, 5, 6, 3)]), Case({"keepdims": True}, [(2, 3, 4, 5)])],
    "GlobalMaxPooling3D": [Case({}, [(4, 5, 6, 3)]), Case({"keepdims": True}, [(2, 3, 4, 5)])],
    "UpSampling1D": [Case({}, [(4, 3)]), Case({"size": 3}, [(5, 2)])],
    "UpSampling3D": [Case({}, [(2, 3, 4, 3)]), Case({"size": [1, 2, 3]}, [(2, 3, 4, 3)])],
    "ZeroPadding1D": [Case({}, [(4, 3)]), Case({"padding": 2}, [(4, 3)]), Case({"padding": [0, 3]}, [(4, 3)])],
    "ZeroPadding3D": [
        Case({}, [(2, 3, 4, 3)]), Case({"padding": 2}, [(2, 3, 4, 3)]),
        Case({"padding": [[1, 0], [0, 2], [3, 1]]}, [(2, 3, 4, 3)]),
    ],
    "Cropping1D": [Case({}, [(4, 3)]), Case({"cropping": [0, 2]}, [(5, 3)])],
    "Cropping3D": [
        Case({}, [(4, 5, 6, 3)]), Case({"cropping": 0}, [(2, 3, 4, 3)]),
        Case({"cropping": [[0, 1], [2, 0], [1, 3]]}, [(4, 5, 6, 3)]),
    ],
    "Permute": [Case({"dims": [2, 1]}, [(4, 5)]), Case({"dims": [3, 1, 2]}, [(4, 5, 6)]), Case({"dims": [1]}, [(3,)])],
    "RepeatVector": [Case({"n": 3}, [(4,)]), Case({"n": 1}, [(7,)])],
    "Embedding": [
        Case({"input_dim": 20, "output_dim": 4}, [(5,)], dtypes=("int32",)),
        Case({"input_dim": 7, "output_dim": 3, "mask_zero": True, "embeddings_initializer": {"uniform": {"seed": 1}},
              "embeddings_regularizer": {"l2": 1e-4}}, [(2, 3)], dtypes=("int32",)),
        Case({"input_dim": 9, "output_dim": 2}, [(4,)], dtypes=("int64",)),
    ],
    "PositionEmbedding": [
        Case({"sequence_length": 6}, [(6, 4)]), Case({"sequence_length": 10}, [(3, 5)]),
        Case({"sequence_length": 4, "initializer": {"random_normal": {"stddev": 0.02, "seed": 1}}}, [(2, 4, 3)]),
    ],
    "PrependToken": [Case({}, [(5, 4)]), Case({"initializer": {"random_normal": {"seed": 2}}}, [(1, 3)])],
    "SimpleRNN": [
        Case({"units": 4}, [(5, 3)], looped=True),
        Case({"units": 4, "unroll": True}, [(5, 3)]),
        Case({"units": 3, "return_sequences": True, "return_state": True, "unroll": True, "use_bias": False},
             [(4, 2)]),
        Case({"units": 4, "go_backwards": True, "return_state": True}, [(6, 3)], looped=True),
    ],
    "LSTM": [
        Case({"units": 4}, [(5, 3)], looped=True),
        Case({"units": 4, "unroll": True, "return_sequences": True}, [(5, 3)]),
        Case({"units": 3, "return_state": True, "unroll": True}, [(4, 2)]),
        Case({"units": 3, "use_bias": False, "unroll": True, "unit_forget_bias": False, "go_backwards": True},
             [(4, 2)]),
        Case({"units": 2, "return_sequences": True, "return_state": True, "go_backwards": True}, [(3, 5)],
             looped=True),
        Case({"units": 3, "unroll": True, "return_sequences": True}, [(4, 2), (3,), (3,)]),
    ],
    "GRU": [
        Case({"units": 4}, [(5, 3)], looped=True),
        Case({"units": 4, "unroll": True}, [(5, 3)]),
        Case({"units": 3, "reset_after": False, "unroll": True, "return_state": True}, [(4, 2)]),
        Case({"units": 3, "use_bias": False, "unroll": True, "return_sequences": True}, [(4, 2)]),
        Case({"units": 3, "unroll": True, "return_state": True}, [(4, 2), (3,)]),
    ],
    "Bidirectional": [
        Case({"layer": {"LSTM": {"units": 4}}}, [(5, 3)], looped=True),
        Case({"layer": {"GRU": {"units": 3, "unroll": True, "return_sequences": True}}, "merge_mode": "sum"},
             [(4, 2)]),
        Case({"layer": {"SimpleRNN": {"units": 3, "unroll": True}}, "merge_mode": None}, [(4, 2)]),
        Case({"layer": {"LSTM": {"units": 2, "unroll": True, "return_state": True}}, "merge_mode": "ave"}, [(3, 2)]),
        Case({"layer": {"GRU": {"units": 2, "unroll": True}}, "merge_mode": "mul"}, [(3, 2)]),
    ],
    "TimeDistributed": [
        Case({"layer": {"Dense": {"units": 3}}}, [(5, 4)]),
        Case({"layer": {"Conv2D": {"filters": 2, "kernel_size": 3}}}, [(3, 6, 6, 2)]),
        Case({"layer": {"Dense": {"units": 2, "activation": "softmax"}}}, [(2, 3, 4)]),
    ],
    "MultiHeadAttention": [
        Case({"num_heads": 2, "key_dim": 3}, [(5, 4), (6, 4)]),
        Case({"num_heads": 2, "key_dim": 3, "value_dim": 5, "output_shape": 7, "use_bias": False},
             [(5, 4), (6, 7), (6, 3)]),
        Case({"num_heads": 1, "key_dim": 4, "return_attention_scores": True, "use_causal_mask": True},
             [(5, 4), (5, 4)]),
        Case({"num_heads": 2, "key_dim": 2, "attention_axes": [2]}, [(3, 4, 5), (3, 6, 5)]),
        Case({"num_heads": 2, "key_dim": 2, "output_shape": [2, 3], "return_attention_scores": True},
             [(4, 3), (4, 5)]),
        Case({"num_heads": 2, "key_dim": 3, "use_causal_mask": True}, [(5, 4), (5, 4)]),
        Case({"num_heads": 2, "key_dim": 3, "dropout": 0.1}, [(5, 4), (6, 4)]),
    ],
    "Attention": [
        Case({}, [(5, 4), (6, 4)]),
        Case({"use_scale": True, "return_attention_scores": True}, [(5, 4), (6, 3), (6, 4)]),
        Case({"score_mode": "concat", "use_scale": True}, [(5, 4), (6, 4)]),
        Case({"score_mode": "concat"}, [(3, 2), (4, 5), (4, 2)]),
        Case({"use_causal_mask": True}, [(5, 4), (5, 4)]),
    ],
    "AddConstant": [Case({"value": 3.0}, IMG), Case({"value": -0.5}, [(5,)])],
    "CustomScaleLayer": [Case({"scale": 0.17}, [(5, 5, 8), (5, 5, 8)]), Case({"scale": 1.0}, [(3, 4), (3, 4)])],
    "LayerScale": [Case({"init_values": 1e-6, "projection_dim": 8}, [(4, 4, 8)]),
                   Case({"init_values": 0.5, "projection_dim": 3}, [(5, 3)])],
    "MultiplyConstant": [Case({"value": 1.0 / 6.0}, [(1, 1, 8)]), Case({"value": 2.0}, [(3, 4)])],
    "AddTensors": [Case({}, [(4, 4, 8), (4, 4, 8)]), Case({}, [(5, 3), (1, 3)])],
    "StochasticDepth": [Case({"drop_path_rate": 0.2}, [(4, 4, 8)]), Case({"drop_path_rate": 0.0}, [(5,)])],
    "Sequential": [Case({"layers": [{"Conv2D": {"filters": 4, "kernel_size": 2, "strides": 2, "name": "c"}},
                                    {"LayerNormalization": {"epsilon": 1e-6, "name": "n"}}]}, [(8, 8, 3)]),
                   Case({"layers": [{"BatchNormalization": {"name": "b"}}, {"Dense": {"units": 5, "name": "d"}}]},
                        [(6,)])],
}

PARAMS = [pytest.param(op, case, id=f"{op}-{i}") for op, cases in CASES.items() for i, case in enumerate(cases)]


def test_every_registry_entry_has_cases() -> None:
    assert set(CASES) == set(REGISTRY), "add oracle cases for new layer types (and remove those of deleted ones)"
    for op, cases in CASES.items():
        assert len(cases) >= 2, f"{op} needs at least two oracle cases"


def _model(op: str, case: Case) -> tuple[Any, Any, Any]:
    defn = REGISTRY[op]
    params = defn.params.model_validate(case.params)
    if defn.arity == (0, 0):
        layer = kerasutil.make_layer(defn, params, name="layer")
        return defn, params, keras.Model(layer.output, layer.output)
    return defn, params, kerasutil.one_layer_model(defn, params, case.shapes, case.dtypes)


def _outputs(defn: Any, params: Any, ins: list) -> list[tuple]:
    """archc's output shapes of the layer: one, or one per output name of a layer with several."""
    out = defn.infer(params, ins)
    return [tuple(s) for s in out] if defn.output_names(params) else [tuple(out)]


@pytest.mark.parametrize("op, case", PARAMS)
def test_static_rules_match_keras(op: str, case: Case) -> None:
    defn, params, model = _model(op, case)
    ins = [tuple(s) for s in case.shapes]
    shapes = _outputs(defn, params, ins)
    assert shapes == [tuple(o.shape[1:]) for o in model.outputs], "output shapes"
    out = shapes[0]
    trainable, non_trainable = defn.count_params(params, ins, out)
    assert (trainable, non_trainable) == kerasutil.split_params(model), "(trainable, non_trainable)"
    assert trainable + non_trainable == model.count_params()
    static = defn.count_flops(params, ins, out)
    profiled = kerasutil.profiler_flops(model) + kerasutil.einsum_flops(model)
    unseen = kerasutil.profiler_unseen_flops(op, params, ins, out)
    if case.looped:
        assert static is not None and 0 <= profiled < static, "the profiler now counts every step: drop looped"
    elif case.profiler_blind:
        assert unseen > 0 and static is not None and static >= unseen
        assert profiled == static - unseen, "the profiler now sees this layer: drop profiler_blind and match it"
    else:
        assert unseen == 0, "the profiler misses part of this layer: mark the case profiler_blind"
        assert static == profiled, f"FLOPs: static {static}, profiler {kerasutil.profiler_flops_by_op(model)}"


@pytest.mark.slow
@pytest.mark.parametrize("name, flops", [("ResNet50", 7_755_299_312), ("VGG16", 30_960_211_824)])
def test_applications_totals(name: str, flops: int) -> None:
    """The per-layer rules summed over keras.applications models give the profiler's published totals."""
    model = getattr(keras.applications, name)(weights=None)
    assert kerasutil.static_summary(model) == (flops, *kerasutil.split_params(model))


#: Cases with unknown dimensions: only shapes and parameter counts are compared (the profiler needs known shapes).
UNKNOWN: list[tuple[str, Case]] = [
    ("Conv2D", Case({"filters": 16, "kernel_size": 3, "strides": 2, "padding": "same"}, [(None, None, 3)])),
    ("Conv2D", Case({"filters": 4, "kernel_size": 3}, [(None, 8, 2)])),
    ("Conv1D", Case({"filters": 4, "kernel_size": 3, "padding": "causal"}, [(None, 2)])),
    ("SeparableConv2D", Case({"filters": 4, "kernel_size": 3, "dilation_rate": 2}, [(None, 9, 2)])),
    ("DepthwiseConv2D", Case({"kernel_size": 3, "strides": 2}, [(9, None, 2)])),
    ("Dense", Case({"units": 10}, [(None, 7)])),
    ("BatchNormalization", Case({}, [(None, None, 8)])),
    ("LayerNormalization", Case({}, [(None, 8)])),
    ("MaxPooling2D", Case({}, [(None, 8, 3)])),
    ("AveragePooling2D", Case({"pool_size": 3, "strides": 2, "padding": "same"}, [(None, None, 3)])),
    ("GlobalAveragePooling2D", Case({}, [(None, None, 3)])),
    ("GlobalMaxPooling2D", Case({"keepdims": True}, [(None, None, 3)])),
    ("Flatten", Case({}, [(None, 3)])),
    ("Reshape", Case({"target_shape": [-1, 3]}, [(None, 3)])),
    ("Reshape", Case({"target_shape": [3, 2]}, [(None, 3)])),
    ("ZeroPadding2D", Case({}, [(None, 5, 2)])),
    ("Cropping2D", Case({"cropping": [[0, 1], [1, 0]]}, [(None, 3, 2)])),
    ("UpSampling2D", Case({"size": [1, 3]}, [(None, 3, 2)])),
    ("Add", Case({}, [(None, 3), (4, 3)])),
    ("Multiply", Case({}, [(None, 3), (None, 3)])),
    ("Multiply", Case({}, [(None, None, 8), (1, 1, 8)])),
    ("Add", Case({}, [(None, 1), (4, 3)])),
    ("Concatenate", Case({}, [(None, 3), (4, 5)])),
    ("Concatenate", Case({"axis": 1}, [(None, 3), (4, 3)])),
    ("Softmax", Case({"axis": 1}, [(None, 3)])),
    ("Dropout", Case({"rate": 0.2}, [(None,)])),
    ("Conv3D", Case({"filters": 4, "kernel_size": 3, "strides": 2, "padding": "same"}, [(None, 8, None, 2)])),
    ("Conv1DTranspose", Case({"filters": 4, "kernel_size": 3, "strides": 2}, [(None, 2)])),
    ("Conv2DTranspose", Case({"filters": 4, "kernel_size": 3, "strides": 2, "padding": "same"}, [(None, 5, 2)])),
    ("Conv3DTranspose", Case({"filters": 4, "kernel_size": 2, "strides": 2}, [(None, 3, None, 2)])),
    ("DepthwiseConv1D", Case({"kernel_size": 3}, [(None, 3)])),
    ("SeparableConv1D", Case({"filters": 4, "kernel_size": 3, "padding": "same"}, [(None, 3)])),
    ("MaxPooling1D", Case({}, [(None, 3)])),
    ("AveragePooling3D", Case({"pool_size": 2}, [(None, 4, 4, 3)])),
    ("GlobalAveragePooling3D", Case({}, [(None, None, None, 3)])),
    ("GlobalMaxPooling1D", Case({"keepdims": True}, [(None, 3)])),
    ("UpSampling1D", Case({}, [(None, 3)])),
    ("UpSampling3D", Case({}, [(None, 3, 4, 2)])),
    ("ZeroPadding1D", Case({}, [(None, 3)])),
    ("ZeroPadding3D", Case({}, [(None, 3, None, 2)])),
    ("Cropping1D", Case({}, [(None, 3)])),
    ("Cropping3D", Case({}, [(None, 5, 6, 2)])),
    ("Dropout", Case({"rate": 0.2, "noise_shape": [None, 1, 3]}, [(None, 3)])),
    ("Normalization", Case({}, [(None, 3)])),
    ("Normalization", Case({"axis": None}, [(None, None)])),
    ("Resizing", Case({"height": 4, "width": 5}, [(None, None, 3)])),
    ("CenterCrop", Case({"height": 2, "width": 2}, [(None, None, 3)])),
    ("GroupNormalization", Case({"groups": 2}, [(None, None, 4)])),
    ("UnitNormalization", Case({}, [(None, 4)])),
    ("SpatialDropout2D", Case({"rate": 0.2}, [(None, None, 4)])),
    ("GaussianNoise", Case({"stddev": 0.2}, [(None, 4)])),
    ("Permute", Case({"dims": [2, 1]}, [(None, 4)])),
    ("RepeatVector", Case({"n": 2}, [(None,)])),
    ("Identity", Case({}, [(None, 4)])),
    ("Embedding", Case({"input_dim": 5, "output_dim": 3}, [(None,)], dtypes=("int32",))),
    ("PositionEmbedding", Case({"sequence_length": 8}, [(None, 4)])),
    ("PrependToken", Case({}, [(None, 4)])),
    ("LSTM", Case({"units": 3, "return_sequences": True, "return_state": True}, [(None, 2)])),
    ("LSTM", Case({"units": 2, "dropout": 0.1, "recurrent_dropout": 0.2, "seed": 1}, [(3, 5)])),
    ("GRU", Case({"units": 3}, [(None, 2)])),
    ("SimpleRNN", Case({"units": 3, "return_sequences": True}, [(None, 2)])),
    ("Bidirectional", Case({"layer": {"LSTM": {"units": 2, "return_sequences": True}}}, [(None, 3)])),
    ("TimeDistributed", Case({"layer": {"Dense": {"units": 2}}}, [(None, 3)])),
    ("MultiHeadAttention", Case({"num_heads": 2, "key_dim": 2, "return_attention_scores": True},
                                [(None, 3), (None, 3)])),
    ("Attention", Case({"return_attention_scores": True}, [(None, 3), (None, 3)])),
    ("AddConstant", Case({"value": 3.0}, [(None, None, 4)])),
    ("MultiplyConstant", Case({"value": 0.5}, [(None, 4)])),
    ("CustomScaleLayer", Case({"scale": 0.1}, [(None, None, 4), (None, None, 4)])),
    ("LayerScale", Case({"init_values": 1e-6, "projection_dim": 4}, [(None, None, 4)])),
]


@pytest.mark.parametrize("op, case", [pytest.param(op, c, id=f"{op}-{i}") for i, (op, c) in enumerate(UNKNOWN)])
def test_unknown_dimensions_match_keras(op: str, case: Case) -> None:
    defn, params, model = _model(op, case)
    ins = [tuple(s) for s in case.shapes]
    shapes = _outputs(defn, params, ins)
    assert shapes == [tuple(o.shape[1:]) for o in model.outputs]
    assert defn.count_params(params, ins, shapes[0]) == kerasutil.split_params(model)
