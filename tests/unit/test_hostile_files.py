"""Inputs from strangers, at the file level: only regular files are read, paths that cannot be files are clean
errors, and keys that look like pydantic's union tags are named as the keys they are."""

from __future__ import annotations

import os
import socket
from pathlib import Path

import pytest

from archcompiler import CompileError, compile_text, load

SPEC = "archspec: 1\nmodel:\n  inputs: {x: {shape: [4]}}\n  layers: [Dense: 2]\n"


def diags(fn, *args):
    with pytest.raises(CompileError) as info:
        fn(*args)
    return info.value.diagnostics


@pytest.mark.parametrize("kind", ["fifo", "dir", "socket", "/dev/zero", "/dev/null"])
def test_only_regular_files_are_read(tmp_path: Path, kind: str) -> None:
    if kind == "fifo":
        path = tmp_path / "f.yaml"
        os.mkfifo(path)  # opening it for reading would block for ever
    elif kind == "dir":
        path = tmp_path / "d.yaml"
        path.mkdir()
    elif kind == "socket":
        path = tmp_path / "s.yaml"
        sock = socket.socket(socket.AF_UNIX)
        sock.bind(str(path))
    else:
        path = Path(kind)
    (d,) = diags(load, path)
    assert d.code == "E100" and "not a regular file" in d.message


def test_symlink_loops_and_bad_paths_are_e100(tmp_path: Path) -> None:
    (tmp_path / "a.yaml").symlink_to(tmp_path / "b.yaml")
    (tmp_path / "b.yaml").symlink_to(tmp_path / "a.yaml")
    (d,) = diags(load, tmp_path / "a.yaml")
    assert d.code == "E100" and "loop" in d.message
    (d,) = diags(load, str(tmp_path / "x\0.yaml"))
    assert d.code == "E100" and "NUL" in d.message
    (d,) = diags(load, tmp_path / ("n" * 300 + ".yaml"))
    assert d.code == "E100" and "too long" in d.message


def test_a_symlink_to_a_spec_is_read(tmp_path: Path) -> None:
    (tmp_path / "real.yaml").write_text(SPEC, encoding="utf-8")
    (tmp_path / "link.yaml").symlink_to(tmp_path / "real.yaml")
    assert len(load(tmp_path / "link.yaml").graph.nodes) == 2


@pytest.mark.parametrize("ref, message", [
    ('"a\\0b.yaml"', "NUL character"),
    ("n" * 300 + ".yaml", "longer than 255 bytes"),
    ("x/" * 600 + "a.yaml", "longer than 1024 characters"),
    ("loop.yaml", "cannot resolve 'loop.yaml'"),
])
def test_include_paths_that_cannot_be_files_are_e210(tmp_path: Path, ref: str, message: str) -> None:
    (tmp_path / "loop.yaml").symlink_to(tmp_path / "loop2.yaml")
    (tmp_path / "loop2.yaml").symlink_to(tmp_path / "loop.yaml")
    spec = tmp_path / "s.yaml"
    spec.write_text(f"archspec: 1\nimports:\n  - from: {ref}\n" + SPEC.split("\n", 1)[1], encoding="utf-8")
    (d,) = diags(load, spec)
    assert d.code == "E210" and message in d.message and (d.span.line, d.span.col) == (3, 11)


@pytest.mark.parametrize("text, key, path", [
    ("int: 1\n" + SPEC, "int", "int"),
    (SPEC + "  str: 1\n", "str", "model.str"),
    (SPEC.replace("[Dense: 2]", "[Dense: {units: 4, list: 1}]"), "list", "model.layers[0].Dense.list"),
    (SPEC.replace("[Dense: 2]", "[Dense: {units: 4, float: 1, none: 2}]"), "float", "model.layers[0].Dense.float"),
])
def test_keys_named_like_types_are_reported_by_name(text: str, key: str, path: str) -> None:
    ds = [d for d in diags(compile_text, text, "t.yaml") if d.code == "E200"]
    assert ds and ds[0].message == f"unknown key '{key}'"
    from archcompiler.diagnostics import format_path
    assert format_path(ds[0].path) == path
    assert "did you mean 'model'" not in (ds[0].hint or "")


def test_a_spec_of_one_key_is_a_clean_error() -> None:
    codes = {d.code for d in diags(compile_text, "int: 1\n", "t.yaml")}
    assert codes <= {"E200", "E202"} and "E200" in codes


def test_sizes_past_the_ceilings_are_errors_at_the_largest_layer() -> None:
    from archcompiler import Ceilings
    text = SPEC.replace("[Dense: 2]", "\n    - Dense: 16777216\n    - Dense: {units: 16777216, name: huge}")
    (d,) = diags(compile_text, text, "t.yaml")
    assert d.code == "E410" and "281,475,077,373,952 parameters" in d.message and "'huge' (Dense), has 281,474,993,487,872" in d.message
    assert (d.span.line, d.span.col) == (6, 7) and "--max-params" in d.hint
    assert compile_text(text, "t.yaml", ceilings=Ceilings(max_params=10**15)).stats.total.total == 281475077373952
    (d,) = diags(compile_text, SPEC.replace("[4]", "[1000000, 1000000]"), "t.yaml", None, None,
                 Ceilings(max_activations=10**11))
    assert d.code == "E410" and "values per sample" in d.message
