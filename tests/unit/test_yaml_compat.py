"""Specs are plain YAML 1.2: every bundled spec, and every YAML example of the docs, reads the same in archc, PyYAML
and ruamel.yaml; `archc fmt` turns the old unquoted style into that, keeping everything else."""

from __future__ import annotations

import io
import json
import os
import re
import stat
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from ruamel.yaml import YAML

from archcompiler.fmt import find_unquoted, format_text, quote_unquoted
from archcompiler.parse import parse
from archcompiler.source import SourceFile

from helpers import ROOT

SPECS = sorted(p for p in (ROOT / "specs").rglob("*") if p.suffix in (".yaml", ".yml", ".json"))
DOCS = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]


def _ruamel(text: str):
    y = YAML(typ="safe", pure=True)
    y.version = (1, 2)
    return y.load(io.StringIO(text))


def _archc(path: Path, text: str):
    return parse(SourceFile(str(path), text)).data


@pytest.mark.parametrize("path", SPECS, ids=lambda p: str(p.relative_to(ROOT)))
def test_every_bundled_spec_reads_the_same_in_every_yaml_tool(path: Path) -> None:
    text = path.read_text(encoding="utf-8")
    ours = _archc(path, text)
    assert yaml.safe_load(text) == ours, "PyYAML (YAML 1.1) reads this spec differently"
    assert _ruamel(text) == ours, "ruamel.yaml (YAML 1.2) reads this spec differently"
    if path.suffix == ".json":
        assert json.loads(text) == ours
    assert find_unquoted(text) == []


def _doc_yaml_blocks():
    for doc in DOCS:
        text = doc.read_text(encoding="utf-8")
        for m in re.finditer(r"```ya?ml\n(.*?)```", text, re.S):
            line = text[:m.start()].count("\n") + 1
            yield pytest.param(m.group(1), id=f"{doc.relative_to(ROOT)}:{line}")


@pytest.mark.parametrize("block", list(_doc_yaml_blocks()))
def test_every_yaml_example_in_the_docs_is_yaml(block: str) -> None:
    ours = parse(SourceFile("example.yaml", block)).data
    assert _ruamel(block) == ours
    assert find_unquoted(block) == []


OLD_STYLE = """\
# a fire module, written the way YAML does not allow
archspec: 1
params: {n: 2, squeeze: 16}   # a comment that stays
blocks:
  fire:
    params: {n: {type: int}, expand: {type: int}}
    layers:
      - Conv2D: {filters: ${squeeze}, kernel_size: 1, name: fire${n}_squeeze1x1}
      - Activation: {activation: relu, name: 'fire${n}_relu', id: sq}
      - Conv2D: {filters: $expand, kernel_size: 3, padding: same, name: fire${n}_e3, inputs: [sq]}
      - Concatenate: {axis: -1, inputs: [sq, _], name: fire${n}_concat}
model:
  inputs: {x: {shape: [8, 8, 3]}}
  layers:
    - repeat: ${n - 1}
      layers:
        - fire: {n: ${i + 2}, expand: ${8 * (i + 1)}}
"""


def test_fmt_makes_old_style_specs_yaml_and_changes_nothing_else() -> None:
    with pytest.raises(yaml.YAMLError):
        yaml.safe_load(OLD_STYLE)
    result = format_text(OLD_STYLE, "t.yaml")
    new = result.text
    assert new is not None and len(result.edits) == 6
    assert yaml.safe_load(new) == _ruamel(new) == parse(SourceFile("t.yaml", new)).data
    # only quotes were added, on the lines that needed them
    old_lines, new_lines = OLD_STYLE.split("\n"), new.split("\n")
    assert len(old_lines) == len(new_lines)
    for a, b in zip(old_lines, new_lines):
        assert a == b.replace('"', "") if a != b else True
    assert '{filters: "${squeeze}", kernel_size: 1, name: "fire${n}_squeeze1x1"}' in new
    assert "name: 'fire${n}_relu'" in new  # already quoted
    assert "- repeat: ${n - 1}" in new  # block context: valid YAML as it is
    assert "# a comment that stays" in new
    assert format_text(new, "t.yaml").text is None  # idempotent


def test_fmt_keeps_crlf_and_bom() -> None:
    raw = "\ufeff" + OLD_STYLE.replace("\n", "\r\n")
    new = format_text(raw, "t.yaml").text
    assert new.startswith("\ufeff") and new.count("\r\n") == OLD_STYLE.count("\n") and "\n" not in new.replace("\r\n", "")
    assert quote_unquoted(new.lstrip("\ufeff").replace("\r\n", "\n"))[1] == []


def _archc_cli(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "archcompiler.cli", *args], cwd=cwd, capture_output=True,
                          text=True, timeout=60, env={**os.environ, "PYTHONPATH": str(ROOT)})


def test_fmt_command(tmp_path: Path) -> None:
    spec = tmp_path / "nets" / "fire.yaml"
    spec.parent.mkdir()
    spec.write_text(OLD_STYLE, encoding="utf-8")
    spec.chmod(0o640)
    other = tmp_path / "nets" / "ci.yaml"  # not a spec: never touched, even with ${...} in it
    other.write_text("steps: [{run: ${{ matrix.x }}}]\n", encoding="utf-8")
    clean = tmp_path / "nets" / "clean.yaml"
    clean.write_text("archspec: 1\nmodel: {inputs: {x: {shape: [2]}}, layers: [Flatten]}\n", encoding="utf-8")

    r = _archc_cli("validate", str(spec), cwd=tmp_path)
    assert r.returncode == 1 and "E105" in r.stderr
    r = _archc_cli("fmt", "--check", "nets", cwd=tmp_path)
    assert r.returncode == 1 and "would reformat nets/fire.yaml (6 values to quote)" in r.stderr
    assert spec.read_text(encoding="utf-8") == OLD_STYLE
    r = _archc_cli("fmt", "--diff", "nets/fire.yaml", cwd=tmp_path)
    assert r.returncode == 1 and r.stdout.startswith("--- a/nets/fire.yaml") and '+      - Conv2D: {filters: "${squeeze}"' in r.stdout
    r = _archc_cli("fmt", "nets", cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    assert "1 file reformatted, 1 unchanged" in r.stderr
    assert stat.S_IMODE(spec.stat().st_mode) == 0o640
    assert other.read_text(encoding="utf-8") == "steps: [{run: ${{ matrix.x }}}]\n"
    assert [p.name for p in spec.parent.iterdir() if p.name.startswith(".")] == []  # no temporary left
    r = _archc_cli("fmt", "--check", "nets", cwd=tmp_path)
    assert r.returncode == 0 and "0 files would be reformatted, 2 unchanged" in r.stderr
    r = _archc_cli("validate", str(spec), cwd=tmp_path)
    assert r.returncode == 0, r.stderr


def test_fmt_refuses_to_write_what_still_does_not_parse(tmp_path: Path) -> None:
    spec = tmp_path / "bad.yaml"
    text = "archspec: 1\nmodel: {inputs: {x: {shape: [2]}}, layers: [Dense: {units: ${2 * 2}}]\nx: [1\n"
    spec.write_text(text, encoding="utf-8")
    r = _archc_cli("fmt", "bad.yaml", cwd=tmp_path)
    assert r.returncode == 1 and "E101" in r.stderr
    assert spec.read_text(encoding="utf-8") == text


def test_fmt_missing_file_is_exit_2(tmp_path: Path) -> None:
    r = _archc_cli("fmt", "nope.yaml", cwd=tmp_path)
    assert r.returncode == 2 and "nope.yaml" in r.stderr
