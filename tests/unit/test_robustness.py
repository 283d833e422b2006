"""Inputs that once crashed, hung or were misread: each must end in a clean result or a clean error, quickly."""

from __future__ import annotations

import time

import pytest

from archcompiler import CompileError, compile_text
from archcompiler.fmt import find_unquoted

HEAD = "model:\n  inputs: {x: {shape: [8, 8, 3]}}\n  layers:\n"


def codes(text: str, name: str = "t.yaml", **kw) -> list[str]:
    with pytest.raises(CompileError) as info:
        compile_text(text, name, **kw)
    info.value.render()
    return [d.code for d in info.value.diagnostics]


@pytest.mark.parametrize("text, code", [
    ("params: {o: [d]}\n" + HEAD + "    - Flatten\n  outputs: $o\n", "E201"),
    (HEAD + "    - Flatten\n  outputs: ['${1}']\n", "E201"),
    ("blocks:\n  b:\n    layers: [Flatten]\n    output: ${1}\n" + HEAD + "    - b\n", "E201"),
    ("model:\n  inputs: {x: {shape: [4], name: \"${'a/b'}\"}}\n  layers: [Dense: 2]\n", "E321"),
    (HEAD + "    - Dense: {units: 2, name: \"${range(1, 10, 0)}\"}\n", "E302"),
    (HEAD + "    - Dense: {units: \"${len(range(-2**62, 2**62))}\"}\n", "E302"),
    (HEAD + "    - Dense: {units: \"${" + "1**" * 1000 + "1}\"}\n", "E300"),
    (HEAD + "    - Dense: {units: \"${" + "1+" * 1900 + "1}\"}\n", "E300"),
])
def test_former_crashes_are_clean_errors(text: str, code: str) -> None:
    assert code in codes(text)


def test_empty_loops_are_bounded() -> None:
    t = time.process_time()
    text = HEAD + ("    - repeat: 50000\n      layers:\n        - repeat: 50000\n          layers:\n"
                   "            - if: false\n              layers: [Flatten]\n    - Flatten\n")
    assert "E312" in codes(text)
    assert time.process_time() - t < 10


def test_quoting_pass_is_linear() -> None:
    t = time.process_time()
    find_unquoted("description: a" + " " * 1_000_000 + "b ${1}")
    find_unquoted(" ".join(["a"] * 300_000) + " ${1}")
    find_unquoted("x: {" + "a: ${1}, " * 100_000 + "}")
    assert time.process_time() - t < 5


def test_block_scalars_and_multiline_strings_are_left_alone() -> None:
    text = ("description: |\n  Costs ${x} dollars\nparams: {k: 3}\n" + HEAD +
            "    - Conv2D:\n        filters: 4\n        kernel_size: $k\n        name: >-\n          conv${k}\n"
            "    - Conv2D: {filters: 4, kernel_size: 1, name: \"multi\n        ${k}\"}\n")
    with pytest.raises(CompileError) as info:
        compile_text(text, "t.yaml")
    (d,) = info.value.diagnostics  # only the name with a space is wrong
    assert d.code == "E321" and "'multi 3'" in d.message
    ok = compile_text(text.replace('"multi\n        ${k}"', '"multi_${k}"'), "t.yaml")
    assert [n.name for n in ok.graph.nodes][1:] == ["conv3", "multi_3"]
    assert ok.spec.description == "Costs ${x} dollars\n"


def test_crlf_files_read_like_lf_files() -> None:
    text = (HEAD + "    - Dense:\n        units: ${n}\n        name: conv_${n}\n    - Dense: {units: \"${nope}\"}\n"
            "params: {n: 2}\n").replace("\n", "\r\n")
    with pytest.raises(CompileError) as info:
        compile_text(text, "t.yaml")
    (d,) = info.value.diagnostics
    assert (d.code, d.span.line, d.span.col) == ("E301", 7, 25)


def test_failed_entries_do_not_cascade() -> None:
    text = HEAD + ("    - Conv2D: {filters: 0, kernel_size: 1, id: a}\n    - Flatten: {inputs: a}\n"
                   "  outputs: [a]\n")
    assert codes(text) == ["E201"]


def test_set_errors_are_e330_and_required_spec_parameters_point_at_their_declaration() -> None:
    text = "params:\n  width: {type: int}\n" + HEAD + "    - Dense: $width\n"
    with pytest.raises(CompileError) as info:
        compile_text(text, "t.yaml")
    (d,) = info.value.diagnostics
    assert d.code == "E310" and d.span.line == 2 and "--set width=" in d.hint
    assert codes(text, overrides={"width": "wide"}) == ["E330"]


def test_imports_bring_only_the_named_blocks_and_their_dependencies(tmp_path) -> None:
    (tmp_path / "lib.yaml").write_text("blocks:\n  a: {layers: [b]}\n  b: {layers: [Flatten]}\n"
                                       "  other: {layers: [Flatten]}\n")
    (tmp_path / "m.yaml").write_text("imports: [{from: lib.yaml, blocks: [a]}]\n" + HEAD + "    - a\n    - other\n")
    from archcompiler import load
    with pytest.raises(CompileError) as info:
        load(tmp_path / "m.yaml")
    assert [d.code for d in info.value.diagnostics] == ["E203"]


def test_a_block_cannot_take_a_layer_types_name() -> None:
    assert codes("blocks:\n  Dense: {layers: [Flatten]}\n" + HEAD + "    - Flatten\n") == ["E201"]


def test_booleans_are_strict() -> None:
    assert codes(HEAD + "    - Flatten\n    - Dense: {units: 3, use_bias: yes}\n") == ["E201"]
    assert codes(HEAD + "    - if: 1\n      layers: [Flatten]\n") == ["E201"]


def _many_params_spec(params: int, calls: int) -> str:
    decls = "\n".join(f"      p{i}: {{type: int, default: {i}}}" for i in range(params))
    return (f"archspec: 1\nblocks:\n  b:\n    params:\n{decls}\n    layers:\n      - Dense: {{units: $p{params - 1}}}\n"
            f"model:\n  inputs: {{x: {{shape: [4]}}}}\n  layers:\n    - repeat: {calls}\n      layers:\n"
            f"        - b: {{p1: 3}}\n")


def test_binding_block_parameters_is_linear_and_counted_as_work() -> None:
    t = time.process_time()
    assert len(compile_text(_many_params_spec(10_000, 10), "t.yaml").graph.nodes) == 11
    assert "E312" in codes(_many_params_spec(10_000, 200))  # 2,000,000 parameters bound: over the step limit
    assert time.process_time() - t < 10
