"""Docs that cannot drift: the layer reference in docs/spec-language.md is the registry's, every whole spec the
docs show compiles, and the README quick start names the two set-up commands."""

from __future__ import annotations

import re

import pytest
import yaml

from archcompiler.docs import BEGIN, END, layer_reference
from archcompiler.layers import REGISTRY
from archcompiler.pipeline import compile_text
from helpers import ROOT


def _whole_specs() -> list:
    """Every YAML example in docs/ and README.md that is a whole spec: a mapping with a ``model:`` section that has
    ``layers:``, and nothing elided (``...``)."""
    cases = []
    for path in sorted([*(ROOT / "docs").glob("*.md"), ROOT / "README.md"]):
        text = path.read_text(encoding="utf-8")
        for m in re.finditer(r"```ya?ml\n(.*?)```", text, re.S):
            block = m.group(1)
            if "..." in block:
                continue
            data = yaml.safe_load(block)
            if isinstance(data, dict) and isinstance(data.get("model"), dict) and "layers" in data["model"]:
                line = text[:m.start()].count("\n") + 2
                cases.append(pytest.param(block, f"{path.relative_to(ROOT)}:{line}", id=f"{path.name}:{line}"))
    return cases


@pytest.mark.parametrize(("block", "where"), _whole_specs())
def test_whole_specs_in_the_docs_compile(block: str, where: str) -> None:
    compile_text(block, where, base_dir=ROOT / "specs")


def test_the_docs_show_whole_specs() -> None:
    assert len(_whole_specs()) >= 2


def test_layer_reference_is_current() -> None:
    text = (ROOT / "docs" / "spec-language.md").read_text(encoding="utf-8")
    generated = text[text.index(BEGIN) + len(BEGIN):text.index(END)].strip("\n")
    assert generated == layer_reference().strip("\n"), (
        "docs/spec-language.md's layer reference is stale: run `make docs` (python -m archcompiler.docs)")


def test_every_layer_is_documented() -> None:
    text = (ROOT / "docs" / "spec-language.md").read_text(encoding="utf-8")
    for op, defn in REGISTRY.items():
        assert f"### {op}\n" in text
        assert defn.doc, f"{op} has no doc string"


def test_readme_quick_start() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert "make demo" in readme and "make test" in readme
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    assert "make test" in ci
