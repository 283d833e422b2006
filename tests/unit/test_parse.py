"""The parser: YAML 1.2 scalars, positions, duplicate keys, tags, limits, expression quoting, JSON."""

from __future__ import annotations

import json
import time

import pytest
import yaml

from archcompiler.diagnostics import CompileError
from archcompiler.fmt import quote_unquoted
from archcompiler.parse import MAX_DEPTH, parse, resolve_plain
from archcompiler.source import SourceFile


def data(text: str, name: str = "t.yaml"):
    return parse(SourceFile(name, text)).data


def codes(text: str, name: str = "t.yaml") -> list[str]:
    with pytest.raises(CompileError) as info:
        parse(SourceFile(name, text))
    return [d.code for d in info.value.diagnostics]


@pytest.mark.parametrize("text, value", [
    ("2e-5", 2e-5), ("1e-4", 1e-4), ("1.001e-5", 1.001e-5), ("-3", -3), ("+3", 3), ("0o17", 15), ("0x1F", 31),
    (".5", 0.5), ("1.", 1.0), (".inf", float("inf")), ("-.inf", float("-inf")), ("true", True), ("False", False),
    ("null", None), ("~", None), ("", None), ("yes", "yes"), ("on", "on"), ("no", "no"), ("0b101", "0b101"),
    ("1_000", "1_000"), ("relu", "relu"), ("3x3", "3x3"),
])
def test_yaml_1_2_scalars(text: str, value) -> None:
    assert resolve_plain(text) == value


def test_quoted_scalars_stay_strings() -> None:
    assert data("a: '3'\nb: \"true\"\nc: 2e-5") == {"a": "3", "b": "true", "c": 2e-5}


def test_positions_of_values_and_keys() -> None:
    doc = parse(SourceFile("t.yaml", "model:\n  layers:\n    - Dense: {units: 3}\n"))
    s = doc.span(("model", "layers", 0, "Dense", "units"))
    assert (s.line, s.col, s.end_col) == (3, 22, 23)
    k = doc.span(("model", "layers", 0, "Dense"), key=True)
    assert (k.line, k.col) == (3, 7)
    # unknown paths fall back to the nearest enclosing value
    assert doc.span(("model", "layers", 0, "Dense", "nope")) == doc.span(("model", "layers", 0, "Dense"))


def test_duplicate_keys_are_all_reported() -> None:
    assert codes("a: 1\na: 2\nb: {c: 1, c: 2}\n") == ["E102", "E102"]


@pytest.mark.parametrize("text", [
    "a: !!python/object/apply:os.system ['ls']", "a: !custom 3", "a: !!binary aGVsbG8=", "!!set {a, b}",
])
def test_tags_are_refused(text: str) -> None:
    assert codes(text) == ["E103"]


def test_standard_tags_are_allowed() -> None:
    assert data("a: !!str 3\nb: !!int '4'") == {"a": "3", "b": "4"}


def test_deep_nesting_is_refused_quickly() -> None:
    t = time.process_time()
    assert codes("[" * 100_000 + "]" * 100_000) == ["E104"]
    assert codes("a:\n" + "".join("  " * i + "- \n" for i in range(1, MAX_DEPTH + 5))) in (["E104"], ["E101"])
    assert time.process_time() - t < 5


def test_alias_bomb_is_refused_quickly() -> None:
    lines = ["a0: &a0 [x, x, x, x, x, x, x, x, x, x]"]
    for i in range(1, 9):
        lines.append(f"a{i}: &a{i} [" + ", ".join([f"*a{i - 1}"] * 10) + "]")
    t = time.process_time()
    assert codes("\n".join(lines)) == ["E104"]
    assert time.process_time() - t < 5


def test_small_aliases_are_fine() -> None:
    assert data("a: &w [64, 64]\nb: *w") == {"a": [64, 64], "b": [64, 64]}


def test_huge_integers_are_refused() -> None:
    assert codes("a: " + "9" * 5000) == ["E104"]


def test_one_document_only() -> None:
    assert codes("a: 1\n---\nb: 2\n") == ["E101"]


def test_syntax_error_position() -> None:
    with pytest.raises(CompileError) as info:
        parse(SourceFile("t.yaml", "a: [1, 2\nb: 3\n"))
    d = info.value.diagnostics[0]
    assert d.code == "E101" and d.span.file == "t.yaml" and d.span.line == 2


def test_json_syntax_errors_use_json_positions() -> None:
    with pytest.raises(CompileError) as info:
        parse(SourceFile("t.json", '{"a": [1, 2,]}'))
    d = info.value.diagnostics[0]
    assert (d.code, d.span.line, d.span.col) == ("E101", 1, 13)


def test_json_and_yaml_agree() -> None:
    value = {"a": [1, 2.5, "x", None, True, {"b": "${c}"}], "n": 1e-4}
    assert data(json.dumps(value), "t.json") == value
    assert data(json.dumps(value, indent=2), "t.yaml") == value


@pytest.mark.parametrize("line, expected", [
    ("- Dense: {units: ${w * 2}, name: d${i}}", '- Dense: {units: "${w * 2}", name: "d${i}"}'),
    ("- Conv2D: {filters: ${filters[0]}, kernel_size: $f}", '- Conv2D: {filters: "${filters[0]}", kernel_size: $f}'),
    ("name: res${stage}${'abc'[i]}_branch2a", "name: res${stage}${'abc'[i]}_branch2a"),  # block context: fine
    ("repeat: ${depth - 1}", "repeat: ${depth - 1}"),
    ("x: ${a if b else c} # comment", "x: ${a if b else c} # comment"),
    ("x: ${a[1: 2]}", 'x: "${a[1: 2]}"'),  # ': ' inside: YAML would read a key
    ("name: 'already ${quoted}'", "name: 'already ${quoted}'"),
    ('x: "a \\" ${b}"', 'x: "a \\" ${b}"'),
    ("x: [${a}, ${b}]  # ${comment}", 'x: ["${a}", "${b}"]  # ${comment}'),
    ("x: {n: ${'\"'}}", "x: {n: \"${'\\\"'}\"}"),
    ("x: plain text", "x: plain text"),
])
def test_fmt_quotes_only_what_yaml_cannot_read(line: str, expected: str) -> None:
    out, _ = quote_unquoted(line)
    assert out == expected
    assert quote_unquoted(out) == (out, [])  # idempotent
    assert yaml.safe_load(out) == parse(SourceFile("t.yaml", out)).data


def _diags(text: str) -> tuple:
    with pytest.raises(CompileError) as info:
        parse(SourceFile("t.yaml", text))
    return info.value.diagnostics


def test_unquoted_expression_in_flow_mapping_is_e105_with_the_fixed_line() -> None:
    ds = _diags("a: 1\nb: {c: ${x + 1}, d: [${y}]}\n")
    assert [(d.code, d.span.line, d.span.col) for d in ds] == [("E105", 2, 8), ("E105", 2, 22)]
    assert 'b: {c: "${x + 1}", d: ["${y}"]}' in ds[0].hint
    assert "archc fmt t.yaml" in ds[0].hint


def test_e105_keeps_other_syntax_errors() -> None:
    ds = _diags("a: {c: ${x}}\nb: [1, 2\nc: 3\n")
    assert ds[0].code == "E105" and "E101" in [d.code for d in ds]


def test_quoted_expressions_keep_their_positions() -> None:
    doc = parse(SourceFile("t.yaml", 'a: {b: "${x + 1}", c: 3}\n'))
    assert doc.data == {"a": {"b": "${x + 1}", "c": 3}}
    assert (doc.span(("a", "b")).col, doc.span(("a", "c")).col) == (8, 23)
