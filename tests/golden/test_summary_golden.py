"""Golden summaries and IR dumps for every bundled spec (ARCHC_UPDATE_GOLDEN=1 rewrites them)."""

from __future__ import annotations

from pathlib import Path

import pytest

import archcompiler
from helpers import ROOT, check_golden
from specs_table import REFERENCE

SPECS = [s for s in sorted(REFERENCE) if s.endswith(".yaml")]


def _stem(spec: str) -> str:
    return spec.removeprefix("specs/").removesuffix(".yaml").replace("/", "__")


@pytest.mark.parametrize("spec", SPECS)
def test_ir_dump(spec: str, in_root: Path) -> None:
    check_golden(ROOT / "tests" / "golden" / "ir" / f"{_stem(spec)}.ir", archcompiler.load(spec).ir())


@pytest.mark.parametrize("spec", SPECS)
def test_summaries(spec: str, in_root: Path) -> None:
    comp = archcompiler.load(spec)
    base = ROOT / "tests" / "golden" / "summary" / _stem(spec)
    check_golden(base.with_suffix(".txt"), comp.summary("text"))
    check_golden(base.with_suffix(".json"), comp.summary("json"))
    check_golden(Path(f"{base}.all.md"), comp.summary("markdown", depth=None))


@pytest.mark.parametrize("spec", ["specs/resnet50_signs.yaml", "specs/squeezenet.yaml"])
def test_output_is_deterministic(spec: str, in_root: Path) -> None:
    a, b = archcompiler.load(spec), archcompiler.load(spec)
    assert a.summary("json") == b.summary("json")
    assert a.ir() == b.ir()
