"""Box labels come from the layer registry: every registered layer type has a label rule, and the diagram's layer
boxes show what that rule makes of the layer's arguments."""

from __future__ import annotations

import dataclasses
import re
from typing import Any

import pytest
import yaml

from archcompiler.backends.dot import layer_detail
from archcompiler.ir import Node
from archcompiler.layers import REGISTRY
from archcompiler.layers.labels import shape_text

#: For each layer type: arguments of a sample layer, and what its box says after the type.
SAMPLES: dict[str, list[tuple[dict[str, Any], str]]] = {
    "Input": [({"shape": [224, 224, 3]}, ""), ({"shape": [10], "dtype": "int32"}, "int32")],
    "Dense": [({"units": 64}, "64"), ({"units": 10, "activation": "softmax"}, "10, softmax"),
              ({"units": 1, "activation": "linear"}, "1")],
    "Dropout": [({"rate": 0.5}, "0.5"), ({"rate": 0.2, "noise_shape": [None, 1, 1, None]}, "0.2, mask ?×1×1×?")],
    "SpatialDropout1D": [({"rate": 0.2}, "0.2")],
    "SpatialDropout2D": [({"rate": 0.1}, "0.1")],
    "SpatialDropout3D": [({"rate": 0.3, "seed": 1}, "0.3")],
    "GaussianNoise": [({"stddev": 0.1}, "σ 0.1")],
    "GaussianDropout": [({"rate": 0.2}, "0.2")],
    "Normalization": [({}, ""), ({"axis": None, "mean": 0.5, "variance": 0.25}, "all, fixed"),
                      ({"axis": [1, 2], "invert": True}, "axes 1, 2, invert")],
    "Resizing": [({"height": 224, "width": 224}, "224×224"),
                 ({"height": 32, "width": 64, "interpolation": "nearest", "pad_to_aspect_ratio": True},
                  "32×64, nearest, pad")],
    "CenterCrop": [({"height": 224, "width": 224}, "224×224")],
    "GroupNormalization": [({}, "32 groups"), ({"groups": -1}, "instance"), ({"groups": 2, "axis": 1},
                                                                            "2 groups, axis 1")],
    "UnitNormalization": [({}, ""), ({"axis": [1, 2]}, "axes 1, 2")],
    "Permute": [({"dims": [2, 1]}, "(2, 1)")],
    "RepeatVector": [({"n": 3}, "×3")],
    "Identity": [({}, "")],
    "AddConstant": [({"value": 3.0}, "+ 3"), ({"value": -0.5}, "+ -0.5")],
    "CustomScaleLayer": [({"scale": 0.17}, "× 0.17")],
    "LayerScale": [({"init_values": 1e-6, "projection_dim": 96}, "γ=1e-06")],
    "StochasticDepth": [({"drop_path_rate": 0.1}, "drop path 0.1")],
    "AddTensors": [({}, "+")],
    "Sequential": [({"layers": [{"Conv2D": {"filters": 4, "kernel_size": 2, "name": "c"}},
                                {"LayerNormalization": {"name": "n"}}]}, "Conv2D → LayerNormalization")],
    "MultiplyConstant": [({"value": 1.0 / 6.0}, "× 0.166667")],
    "Rescaling": [({"scale": 1 / 255}, "×0.00392157"), ({"scale": 1 / 127.5, "offset": -1}, "×0.00784314 -1"),
                  ({"scale": [2, 4, 8], "offset": [-1, 0, 1]}, "×[2, 4, 8] +[-1, 0, 1]"),
                  ({"scale": [1] * 16}, "×[16 values]")],
    "Conv2D": [({"filters": 64, "kernel_size": 7, "strides": 2}, "7×7/2, 64"),
               ({"filters": 32, "kernel_size": [1, 3], "strides": [1, 2], "activation": "relu"},
                "1×3/1×2, 32, relu")],
    "Conv1D": [({"filters": 16, "kernel_size": 5}, "5, 16"),
               ({"filters": 8, "kernel_size": 3, "strides": 2}, "3/2, 8")],
    "DepthwiseConv2D": [({"kernel_size": 3, "strides": 2}, "3×3/2 depthwise"),
                        ({"kernel_size": 3, "activation": "relu6"}, "3×3 depthwise, relu6")],
    "SeparableConv2D": [({"filters": 128, "kernel_size": 3}, "3×3, 128")],
    "BatchNormalization": [({}, ""), ({"axis": 3, "momentum": 0.9}, "")],
    "LayerNormalization": [({}, ""), ({"axis": 1}, "axis 1"), ({"axis": [1, 2]}, "axes 1, 2")],
    "Activation": [({"activation": "relu"}, "relu")],
    "ReLU": [({}, ""), ({"max_value": 6}, "max 6"), ({"negative_slope": 0.1, "threshold": 0.5},
                                                     "slope 0.1, threshold 0.5")],
    "LeakyReLU": [({}, "slope 0.3"), ({"negative_slope": 0.2}, "slope 0.2")],
    "Softmax": [({}, ""), ({"axis": 1}, "axis 1")],
    "MaxPooling2D": [({"pool_size": 3, "strides": 2}, "3×3/2"), ({}, "2×2/2"),
                     ({"pool_size": 3, "strides": 1}, "3×3")],
    "AveragePooling2D": [({"pool_size": 2}, "2×2/2"), ({"pool_size": [2, 3], "strides": [1, 2]}, "2×3/1×2")],
    "GlobalAveragePooling2D": [({}, ""), ({"keepdims": True}, "keepdims")],
    "GlobalMaxPooling2D": [({}, ""), ({"keepdims": True}, "keepdims")],
    "Add": [({}, "")],
    "Subtract": [({}, "")],
    "Multiply": [({}, "")],
    "Average": [({}, "")],
    "Maximum": [({}, "")],
    "Minimum": [({}, "")],
    "Concatenate": [({}, "axis -1"), ({"axis": 1}, "axis 1")],
    "Flatten": [({}, "")],
    "Reshape": [({"target_shape": [7, 7, 64]}, "7×7×64"), ({"target_shape": [-1]}, "(-1)")],
    "ZeroPadding2D": [({"padding": 3}, "3"), ({"padding": [[0, 1], [0, 1]]}, "[(0, 1), (0, 1)]")],
    "Cropping2D": [({"cropping": 2}, "2"), ({"cropping": [1, 2]}, "[(1, 1), (2, 2)]")],
    "UpSampling2D": [({}, "×2×2"), ({"size": [2, 3], "interpolation": "bilinear"}, "×2×3")],
    "Conv3D": [({"filters": 8, "kernel_size": 3}, "3×3×3, 8"),
               ({"filters": 4, "kernel_size": [1, 3, 3], "strides": [1, 2, 2], "activation": "relu"},
                "1×3×3/1×2×2, 4, relu")],
    "Conv1DTranspose": [({"filters": 8, "kernel_size": 4, "strides": 2}, "4/2, 8")],
    "Conv2DTranspose": [({"filters": 32, "kernel_size": 2, "strides": 2}, "2×2/2, 32"),
                        ({"filters": 16, "kernel_size": 3, "padding": "same", "activation": "relu"}, "3×3, 16, relu")],
    "Conv3DTranspose": [({"filters": 4, "kernel_size": 2, "strides": 2}, "2×2×2/2, 4")],
    "DepthwiseConv1D": [({"kernel_size": 5}, "5 depthwise"), ({"kernel_size": 3, "strides": 2}, "3/2 depthwise")],
    "SeparableConv1D": [({"filters": 32, "kernel_size": 3}, "3, 32")],
    "MaxPooling1D": [({}, "2/2"), ({"pool_size": 3, "strides": 1}, "3")],
    "MaxPooling3D": [({}, "2×2×2/2"), ({"pool_size": [1, 2, 2]}, "1×2×2/1×2×2")],
    "AveragePooling1D": [({"pool_size": 4}, "4/4")],
    "AveragePooling3D": [({"pool_size": 2, "strides": 1}, "2×2×2")],
    "GlobalAveragePooling1D": [({}, ""), ({"keepdims": True}, "keepdims")],
    "GlobalAveragePooling3D": [({}, ""), ({"keepdims": True}, "keepdims")],
    "GlobalMaxPooling1D": [({}, "")],
    "GlobalMaxPooling3D": [({"keepdims": True}, "keepdims")],
    "ZeroPadding1D": [({}, "1"), ({"padding": [2, 0]}, "[(2, 0)]")],
    "ZeroPadding3D": [({"padding": 2}, "2"), ({"padding": [1, 2, 2]}, "[(1, 1), (2, 2), (2, 2)]")],
    "Cropping1D": [({}, "1"), ({"cropping": [0, 3]}, "[(0, 3)]")],
    "Cropping3D": [({"cropping": [[0, 1], [1, 1], [1, 1]]}, "[(0, 1), (1, 1), (1, 1)]")],
    "UpSampling1D": [({}, "×2"), ({"size": 4}, "×4")],
    "UpSampling3D": [({}, "×2×2×2"), ({"size": [1, 2, 2]}, "×1×2×2")],
    "Embedding": [({"input_dim": 1000, "output_dim": 64}, "1000→64"),
                  ({"input_dim": 50, "output_dim": 8, "mask_zero": True}, "50→8, mask 0")],
    "PositionEmbedding": [({"sequence_length": 512}, "512 positions")],
    "PrependToken": [({}, "+1 token")],
    "SimpleRNN": [({"units": 16}, "16"), ({"units": 8, "activation": "relu", "go_backwards": True}, "8, relu, backwards")],
    "LSTM": [({"units": 32}, "32"), ({"units": 32, "return_sequences": True, "return_state": True},
                                     "32, sequences, state")],
    "GRU": [({"units": 8, "return_sequences": True}, "8, sequences"), ({"units": 4, "activation": None}, "4")],
    "Bidirectional": [({"layer": {"LSTM": {"units": 32}}}, "LSTM(32)"),
                      ({"layer": {"GRU": {"units": 8}}, "merge_mode": "sum"}, "GRU(8), sum")],
    "TimeDistributed": [({"layer": {"Dense": {"units": 10}}}, "Dense(10)"), ({"layer": {"Flatten": {}}}, "Flatten")],
    "MultiHeadAttention": [({"num_heads": 4, "key_dim": 16}, "4×16"),
                           ({"num_heads": 2, "key_dim": 8, "value_dim": 4, "use_causal_mask": True}, "2×8/4, causal")],
    "Attention": [({}, ""), ({"score_mode": "concat", "use_scale": True}, "concat, scaled")],
}


def node(op: str, params: dict[str, Any]) -> Node:
    return Node(name="layer", op=op, params=REGISTRY[op].params(**params), inputs=())


@pytest.mark.parametrize("op", sorted(REGISTRY))
def test_every_layer_type_has_a_label_rule(op: str) -> None:
    defn = REGISTRY[op]
    assert callable(defn.label), f"{op} has no label rule: set LayerDef.label in its module"
    assert op in SAMPLES, f"add sample arguments of {op} and the text its box shows to SAMPLES"
    for params, expected in SAMPLES[op]:
        text = defn.label(defn.params(**params))
        assert isinstance(text, str)
        assert text == expected, f"{op}({params})"
        assert layer_detail(node(op, params)) == expected


def test_no_sample_for_an_unknown_type() -> None:
    assert sorted(SAMPLES) == sorted(REGISTRY)


def test_the_diagram_reads_the_registry_rule(monkeypatch: pytest.MonkeyPatch) -> None:
    """A layer type's box text is its registry entry's rule, nothing else."""
    n = node("Dense", {"units": 64})
    assert layer_detail(n) == "64"
    monkeypatch.setitem(REGISTRY, "Dense", dataclasses.replace(REGISTRY["Dense"], label=lambda p: f"{p.units} units"))
    assert layer_detail(n) == "64 units"
    monkeypatch.setitem(REGISTRY, "Dense", dataclasses.replace(REGISTRY["Dense"], label=None))
    assert layer_detail(n) == ""


@pytest.mark.parametrize("shape,text", [((15, 15, 256), "15×15×256"), ((10,), "(10)"), ((None, 3), "?×3"),
                                        ((), "scalar")])
def test_shape_text(shape: tuple, text: str) -> None:
    assert shape_text(shape) == text


def _doc_table() -> list[tuple[str, str]]:
    """(spec entry, box title) rows of the table in docs/diagrams.md, "What a layer's box says"."""
    from helpers import ROOT

    text = (ROOT / "docs" / "diagrams.md").read_text(encoding="utf-8")
    section = text.split("## What a layer's box says", 1)[1].split("\n## ", 1)[0]
    return re.findall(r"^\| `([^`]+)`[^|]* \| `([^`]+)` \|$", section, re.M)


def test_the_documented_box_titles_are_what_the_rules_say() -> None:
    rows = _doc_table()
    assert len(rows) >= len(REGISTRY) - 5, "the table should show every layer type (merges share a row)"
    documented = set()
    for entry, title in rows:
        (op, value), = (yaml.safe_load(entry) if ":" in entry else {entry: None}).items()
        defn = REGISTRY[op]
        args = value if isinstance(value, dict) else {} if value is None else {defn.positional: value}
        detail = layer_detail(node(op, args))
        assert title == op + (f"  {detail}" if detail else ""), entry
        documented.add(op)
    merges = {"Subtract", "Multiply", "Average", "Maximum", "Minimum"}  # in the Add row
    assert documented | merges == set(REGISTRY)
