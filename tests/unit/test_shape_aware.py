"""Shape-aware blocks: expressions that read the static type of a block input or an id (``x.shape[-1]``,
``_.rank``, ``stem.act.shape``), inferred on demand while expanding, and their errors."""

from __future__ import annotations

from typing import Any

import pytest

from archcompiler import CompileError, compile_text
from archcompiler import expand as expand_module

BLOCKS = """
blocks:
  transition:
    params: {compression: {type: float, default: 0.5}}
    layers:
      - BatchNormalization
      - Activation: relu
      - Conv2D: {filters: "${int(x.shape[-1] * compression)}", kernel_size: 1, use_bias: false}
      - AveragePooling2D: {pool_size: 2, strides: 2}
  inverted_residual:
    params: {filters: {type: int}, stride: {type: int, default: 1}, expansion: {type: int, default: 6}}
    layers:
      - Conv2D: {filters: "${x.shape[-1] * expansion}", kernel_size: 1, use_bias: false}
      - BatchNormalization
      - ReLU: {max_value: 6}
      - DepthwiseConv2D: {kernel_size: 3, strides: $stride, padding: same, use_bias: false}
      - BatchNormalization
      - ReLU: {max_value: 6}
      - Conv2D: {filters: $filters, kernel_size: 1, use_bias: false}
      - BatchNormalization
      - if: ${x.shape[-1] == filters and stride == 1}
        layers:
          - Add: {inputs: [x, _]}
"""


def compile_(text: str, **kw: Any):
    return compile_text(text, "t.yaml", **kw)


def errors(text: str) -> list:
    with pytest.raises(CompileError) as info:
        compile_(text)
    return info.value.diagnostics


def test_a_transition_halves_the_channels_it_is_given() -> None:
    c = compile_(BLOCKS + """
model:
  inputs: {x: {shape: [8, 8, 24]}}
  layers: [transition, transition, {transition: {compression: 0.25}}]
""")
    convs = [n for n in c.graph.nodes if n.op == "Conv2D"]
    assert [n.params.filters for n in convs] == [12, 6, 1]
    assert c.output_shapes == [(1, 1, 1)]


def test_an_inverted_residual_adds_its_input_only_when_shapes_allow() -> None:
    c = compile_(BLOCKS + """
model:
  inputs: {x: {shape: [8, 8, 16]}}
  layers:
    - inverted_residual: {filters: 16}
    - inverted_residual: {filters: 24}
    - inverted_residual: {filters: 24, stride: 2}
    - inverted_residual: {filters: 24}
""")
    ops = [[n.op for n in c.graph.nodes if n.scope[:1] == (b.scope[0],)] for b in c.graph.blocks]
    assert ["Add" in o for o in ops] == [True, False, False, True]
    expanded = [n.params.filters for n in c.graph.nodes if n.op == "Conv2D"][::2]
    assert expanded == [96, 96, 144, 144]  # 6 x the channels each block receives


def test_previous_entry_taps_and_model_inputs_have_shapes() -> None:
    c = compile_("""
blocks:
  stem:
    layers:
      - Conv2D: {filters: 6, kernel_size: 3, id: conv}
      - Activation: {activation: relu, id: act}
model:
  inputs: {img: {shape: [10, 10, 3]}}
  layers:
    - stem: {id: s}
    - Conv2D: {filters: "${_.shape[-1] + img.shape[-1]}", kernel_size: 1}
    - Conv2D: {filters: "${s.act.shape[0] + s.rank}", kernel_size: 1}
    - Dense: {units: "${len([d for d in s.conv.shape if d > 6])}", name: "d${img.dtype}"}
""")
    assert [n.params.filters for n in c.graph.nodes if n.op == "Conv2D"] == [6, 9, 11]
    assert c.graph.nodes[-1].params.units == 2 and c.graph.nodes[-1].name == "dfloat32"


def test_a_parameter_hides_an_id_of_the_same_name() -> None:
    c = compile_("""
params: {x: {type: int, default: 5}}
model:
  inputs: {x: {shape: [4]}}
  layers: [{Dense: {units: $x}}]
""")
    assert c.graph.nodes[-1].params.units == 5


def test_an_unknown_dimension_in_arithmetic_is_an_error_at_the_expression() -> None:
    (d,) = errors("""
blocks:
  pool_half:
    layers:
      - AveragePooling2D: {pool_size: 2, padding: same}
      - Conv2D: {filters: "${x.shape[0] // 2}", kernel_size: 1}
model:
  inputs: {x: {shape: [null, null, 8]}}
  layers: [{pool_half: {name: p1}}]
""")
    assert d.code == "E302" and d.message == "Conv2D.filters: '//' needs numbers. Received: none"
    assert (d.span.line, d.span.col) == (6, 41)  # the '//' inside the block's body
    assert [(f.block, f.instance) for f in d.chain] == [("pool_half", "p1")]
    assert "unknown dimension" in d.hint


def test_a_shape_that_cannot_be_inferred_gives_its_own_error_only() -> None:
    found = errors(BLOCKS + """
model:
  inputs: {x: {shape: [3, 3, 8]}}
  layers:
    - Conv2D: {filters: 8, kernel_size: 5}
    - transition
    - inverted_residual: {filters: 8}
    - Dense: {units: "${_.shape[-1]}"}
""")
    assert [(d.code, d.span.line) for d in found] == [("E402", 28)]  # the 5x5 convolution; nothing after it
    assert "kernel_size=(5, 5)" in found[0].message


def test_reading_the_shape_of_a_failed_entry_stays_quiet() -> None:
    found = errors("""
model:
  inputs: {x: {shape: [4]}}
  layers:
    - Dense: {units: 0, id: bad}
    - Dense: {units: "${bad.shape[-1]}"}
""")
    assert [d.code for d in found] == ["E201"]


@pytest.mark.parametrize("expr, message", [
    ("${x}", "'x' is a tensor, not a value"),
    ("n${x}", "'x' is a tensor, not a value"),
    ("${x.size}", "tensor 'x' has no attribute 'size'"),
    ("${x.shape + 1}", "'+' needs numbers"),
    ("${y.shape[0]}", "unknown variable 'y'"),
])
def test_tensor_errors(expr: str, message: str) -> None:
    (d,) = errors(f"""
model:
  inputs: {{x: {{shape: [4]}}}}
  layers: [{{Dense: {{units: 2, name: "{expr}"}}}}]
""" if expr.startswith("n") else f"""
model:
  inputs: {{x: {{shape: [4]}}}}
  layers: [{{Dense: {{units: "{expr}"}}}}]
""")
    assert d.code in ("E302", "E301") and message in d.message, d.message


def test_shapes_are_inferred_only_when_read_and_once(monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[str] = []
    real = expand_module.infer_node

    def counted(op, params, ins, *rest):  # type: ignore[no-untyped-def]
        calls.append(op)
        return real(op, params, ins, *rest)
    monkeypatch.setattr(expand_module, "infer_node", counted)
    chain = "\n".join("    - Dense: 4" for _ in range(20))
    compile_(f"model:\n  inputs: {{x: {{shape: [4]}}}}\n  layers:\n{chain}\n")
    assert calls == []  # a spec that reads no shape infers nothing while expanding
    compile_(f"model:\n  inputs: {{x: {{shape: [4]}}}}\n  layers:\n    - Dense: 4\n    - Dense: 4\n"
             f"    - Dense: {{units: '${{_.shape[-1]}}'}}\n    - Dense: {{units: '${{_.shape[-1] + x.rank}}'}}\n{chain}\n")
    assert calls == ["Input", "Dense", "Dense", "Dense"]  # the layers asked about and their inputs, each once


def test_the_block_checker_knows_tensor_names() -> None:
    c = compile_(BLOCKS + """
  unused:
    layers:
      - Dense: {units: "${_.shape[-1] * 2 + x.rank}"}
      - Dense: {units: "${[d for d in x.shape][0]}", id: y}
      - Dense: {units: "${y.shape[0]}"}
model:
  inputs: {x: {shape: [4]}}
  layers: [Dense: 2]
""")
    assert len(c.graph.nodes) == 2
    found = errors(BLOCKS + """
  unused:
    layers:
      - Dense: {units: "${z.shape[0]}"}
model:
  inputs: {x: {shape: [4]}}
  layers: [Dense: 2]
""")
    assert [(d.code, d.message) for d in found] == [("E301", "Dense.units: unknown variable 'z'")]


def test_expand_alone_reports_the_shape_error_an_expression_ran_into() -> None:
    from archcompiler.expand import expand
    from archcompiler.load import resolve_text
    spec = resolve_text("""
model:
  inputs: {x: {shape: [3, 3, 2]}}
  layers:
    - Conv2D: {filters: 2, kernel_size: 5}
    - Conv2D: {filters: "${_.shape[-1]}", kernel_size: 1}
""", "t.yaml")
    with pytest.raises(CompileError) as info:
        expand(spec)
    assert [d.code for d in info.value.diagnostics] == ["E402"]
