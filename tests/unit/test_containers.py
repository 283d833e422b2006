"""Sequential sub-models as one layer (layers/containers.py), two-tensor arithmetic (AddTensors) and StochasticDepth:
shapes, counts, the IR and the summary, and every misuse reported with its code at its position."""

from __future__ import annotations

import json

import pytest

from archcompiler import CompileError, compile_text


def compile_(text: str, **kw):
    return compile_text(text, "t.yaml", **kw)


def errors(text: str) -> list[tuple[str, str, int, int]]:
    with pytest.raises(CompileError) as info:
        compile_(text)
    return [(d.code, d.message, d.span.line if d.span else 0, d.span.col if d.span else 0)
            for d in info.value.diagnostics]


def spec(body: str, after: str = "    - Flatten\n") -> str:
    return ("archspec: 1\nname: t\nparams:\n  p: {type: str, default: down}\nmodel:\n  inputs:\n"
            "    image: {shape: [16, 16, 3]}\n  layers:\n" + body + after)


STEM = """    - Sequential:
        name: stem
        layers:
          - Conv2D: {filters: 8, kernel_size: 4, strides: 4, name: stem_conv}
          - LayerNormalization: {epsilon: 1.0e-6, name: stem_norm}
"""

BLOCKS = """blocks:
  down:
    params:
      width: {type: int}
    layers:
      - Sequential:
          name: ${name}
          layers:
            - LayerNormalization: {epsilon: 1.0e-6, name: "${name}_norm"}
            - Conv2D: {filters: $width, kernel_size: 2, strides: 2, name: "${name}_conv"}
      - id: y
        Dense: $width
      - StochasticDepth: 0.25
      - AddTensors: {inputs: [y, _]}
"""


def test_a_sequential_is_one_layer_whose_counts_are_its_layers() -> None:
    comp = compile_(spec(STEM))
    node = comp.graph.node("stem")
    assert node.op == "Sequential" and [m.name for m in node.params.layers] == ["stem_conv", "stem_norm"]
    assert comp.types["stem"].shape == (4, 4, 8)
    counts = comp.stats.nodes["stem"]
    # Conv2D 4x4x3x8 + 8, LayerNormalization 2 x 8; FLOPs: the convolution's and the layer norm's (9N + 4M)
    assert (counts.trainable, counts.non_trainable) == (4 * 4 * 3 * 8 + 8 + 16, 0)
    assert counts.flops == 2 * 48 * 128 + 128 + 9 * 128 + 4 * 16
    assert comp.layer_count == 3  # image, stem, flatten: the inner layers are not layers of the model
    data = json.loads(comp.summary("json"))
    assert [row["name"] for row in data["layers"]] == ["image", "stem", "flatten"]


def test_the_ir_shows_the_inner_layers_with_their_names() -> None:
    line = next(s for s in compile_(spec(STEM)).ir().splitlines() if s.startswith("%stem "))
    assert "layers=[stem_conv=Conv2D{filters=8,kernel_size=[4,4],strides=[4,4]}," in line
    assert "stem_norm=LayerNormalization{epsilon=1e-06}]" in line


def test_a_sequential_in_a_block_with_templated_names_and_the_residual_arithmetic() -> None:
    text = BLOCKS + spec("    - repeat: 2\n      layers:\n        - down: {width: \"${8 * (i + 1)}\", name: \"d${i}\"}\n")
    comp = compile_(text)
    assert [n.name for n in comp.graph.nodes if n.op == "Sequential"] == ["d0", "d1"]
    assert [m.name for m in comp.graph.node("d1").params.layers] == ["d1_norm", "d1_conv"]
    assert comp.types["d1"].shape == (4, 4, 16)
    adds = [n for n in comp.graph.nodes if n.op == "AddTensors"]
    assert len(adds) == 2 and comp.stats.nodes[adds[0].name].flops == 8 * 8 * 8
    assert comp.stats.nodes[next(n.name for n in comp.graph.nodes if n.op == "StochasticDepth")].flops == 0
    assert comp.layer_count == len(comp.graph.nodes) - 2  # the arithmetic is no layer


def test_an_empty_layer_list_is_an_error_at_it() -> None:
    (code, message, line, col), = errors(spec("    - Sequential:\n        name: s\n        layers: []\n"))
    assert (code, line, col) == ("E201", 11, 17) and "non-empty list" in message


def test_an_inner_layer_needs_its_name() -> None:
    (code, message, line, col), = errors(spec("    - Sequential:\n        layers:\n"
                                              "          - Conv2D: {filters: 8, kernel_size: 2}\n"))
    assert (code, line, col) == ("E202", 11, 13) and "needs its Keras name" in message


def test_duplicate_names_inside_and_outside_are_errors_at_the_second() -> None:
    (code, message, line, _), = errors(spec("    - Sequential:\n        layers:\n"
                                            "          - Conv2D: {filters: 8, kernel_size: 2, name: a}\n"
                                            "          - Dense: {units: 3, name: a}\n"))
    assert (code, line) == ("E321", 12) and "'a' is used twice" in message
    (code, message, line, _), = errors(spec(STEM, "    - Dense: {units: 3, name: stem_norm}\n"))
    assert (code, line) == ("E321", 14) and "'stem_norm' is used twice" in message


def test_an_automatic_name_skips_the_inner_names() -> None:
    text = spec("    - Sequential:\n        layers:\n          - Dense: {units: 3, name: dense}\n",
                "    - Dense: 2\n")
    assert [n.name for n in compile_(text).graph.nodes] == ["image", "sequential", "dense_1"]


def test_a_wrong_shape_inside_names_the_inner_layer() -> None:
    (code, message, line, col), = errors(spec(
        "    - Sequential:\n        name: s\n        layers:\n          - Dense: {units: 3, name: a}\n"
        "          - LayerScale: {init_values: 0.1, projection_dim: 5, name: b}\n"))
    assert (code, line, col) == ("E400", 9, 7)
    assert "Sequential inner layer 'b' (LayerScale)" in message and "projection_dim=5" in message


def test_inner_arguments_are_checked_at_their_own_position() -> None:
    (code, message, line, col), = errors(spec("    - Sequential:\n        layers:\n"
                                              "          - Conv2D: {filters: 0, kernel_size: 2, name: a}\n"))
    assert (code, line, col) == ("E201", 11, 31) and "filters" in message


@pytest.mark.parametrize("inner", ["Add: {name: a}", "AddConstant: {value: 1.0, name: a}",
                                   "LSTM: {units: 2, return_state: true, name: a}",
                                   "Sequential: {layers: [{Dense: {units: 2, name: b}}], name: a}"])
def test_an_inner_layer_has_one_input_and_one_output(inner: str) -> None:
    (code, message, line, _), = errors(spec(f"    - Sequential:\n        layers:\n          - {inner}\n"))
    assert (code, line) == ("E201", 11) and message.startswith("Sequential.layers: Sequential holds layers")


def test_two_tensor_arithmetic_broadcasts_or_fails_at_its_entry() -> None:
    text = spec("    - id: a\n      Conv2D: {filters: 4, kernel_size: 1}\n    - GlobalAveragePooling2D: {keepdims: true}\n"
                "    - AddTensors: {inputs: [a, _]}\n")
    comp = compile_(text)
    assert comp.types[next(n.name for n in comp.graph.nodes if n.op == "AddTensors")].shape == (16, 16, 4)
    (code, message, line, col), = errors(spec("    - id: a\n      Conv2D: {filters: 4, kernel_size: 1}\n"
                                              "    - Conv2D: {filters: 5, kernel_size: 1}\n"
                                              "    - AddTensors: {inputs: [a, _]}\n"))
    assert (code, line) == ("E401", 12) and "broadcast" in message
