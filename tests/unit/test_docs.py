"""Docs that cannot drift: the layer reference in docs/spec-language.md is the registry's, and the README
quick start names the two set-up commands."""

from __future__ import annotations

from archcompiler.docs import BEGIN, END, layer_reference
from archcompiler.layers import REGISTRY
from helpers import ROOT


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
