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

    ``profiler_blind``: TensorFlow's profiler reports 0 for this layer (a grouped convolution runs in an XLA function
    it cannot see into); archc counts the real work there, a documented deviation.

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
    "Dropout": [Case({"rate": 0.5}, IMG), Case({"rate": 0.0, "seed": 3}, [(5,)])],
    "Rescaling": [Case({"scale": 1 / 255}, IMG), Case({"scale": 1 / 127.5, "offset": -1.0}, [(5,)])],
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
    "Add": [Case({}, [(4, 3)] * 2), Case({}, [(2, 4, 3)] * 3)],
    "Subtract": [Case({}, [(4, 3)] * 2), Case({}, [(2, 2, 5)] * 2)],
    "Multiply": [Case({}, [(4, 3)] * 2), Case({}, [(2, 4, 3)] * 3)],
    "Average": [Case({}, [(4, 3)] * 2), Case({}, [(2, 4, 3)] * 3)],
    "Maximum": [Case({}, [(4, 3)] * 2), Case({}, [(2, 4, 3)] * 3)],
    "Minimum": [Case({}, [(4, 3)] * 2), Case({}, [(2, 4, 3)] * 3)],
    "Concatenate": [
        Case({}, [(4, 3), (4, 5)]),
        Case({"axis": 1}, [(4, 3), (2, 3), (1, 3)]),
        Case({"axis": -3}, [(2, 3, 4), (1, 3, 4)]),
    ],
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
    "Embedding": [
        Case({"input_dim": 20, "output_dim": 4}, [(5,)], dtypes=("int32",)),
        Case({"input_dim": 7, "output_dim": 3, "mask_zero": True, "embeddings_initializer": {"uniform": {"seed": 1}},
              "embeddings_regularizer": {"l2": 1e-4}}, [(2, 3)], dtypes=("int32",)),
        Case({"input_dim": 9, "output_dim": 2}, [(4,)], dtypes=("int64",)),
    ],
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
    if case.looped:
        assert static is not None and 0 <= profiled < static, "the profiler now counts every step: drop looped"
    elif case.profiler_blind:
        assert profiled == 0, "the profiler now sees this layer: drop profiler_blind and match it"
        assert static and static > 0
    else:
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
    ("Concatenate", Case({}, [(None, 3), (4, 5)])),
    ("Concatenate", Case({"axis": 1}, [(None, 3), (4, 3)])),
    ("Softmax", Case({"axis": 1}, [(None, 3)])),
    ("Dropout", Case({"rate": 0.2}, [(None,)])),
    ("Embedding", Case({"input_dim": 5, "output_dim": 3}, [(None,)], dtypes=("int32",))),
    ("LSTM", Case({"units": 3, "return_sequences": True, "return_state": True}, [(None, 2)])),
    ("LSTM", Case({"units": 2, "dropout": 0.1, "recurrent_dropout": 0.2, "seed": 1}, [(3, 5)])),
    ("GRU", Case({"units": 3}, [(None, 2)])),
    ("SimpleRNN", Case({"units": 3, "return_sequences": True}, [(None, 2)])),
    ("Bidirectional", Case({"layer": {"LSTM": {"units": 2, "return_sequences": True}}}, [(None, 3)])),
    ("TimeDistributed", Case({"layer": {"Dense": {"units": 2}}}, [(None, 3)])),
    ("MultiHeadAttention", Case({"num_heads": 2, "key_dim": 2, "return_attention_scores": True},
                                [(None, 3), (None, 3)])),
    ("Attention", Case({"return_attention_scores": True}, [(None, 3), (None, 3)])),
]


@pytest.mark.parametrize("op, case", [pytest.param(op, c, id=f"{op}-{i}") for i, (op, c) in enumerate(UNKNOWN)])
def test_unknown_dimensions_match_keras(op: str, case: Case) -> None:
    defn, params, model = _model(op, case)
    ins = [tuple(s) for s in case.shapes]
    shapes = _outputs(defn, params, ins)
    assert shapes == [tuple(o.shape[1:]) for o in model.outputs]
    assert defn.count_params(params, ins, shapes[0]) == kerasutil.split_params(model)
