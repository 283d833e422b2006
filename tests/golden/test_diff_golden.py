"""Golden `archc diff` outputs: ResNet-18 against ResNet-34, in text (top-level and every block instance) and
Markdown (ARCHC_UPDATE_GOLDEN=1 rewrites them)."""

from __future__ import annotations

from pathlib import Path

import pytest

import archcompiler
from archcompiler.diff import diff, render
from helpers import ROOT, check_golden

GOLDEN = ROOT / "tests" / "golden" / "diff"


@pytest.fixture
def resnets(in_root: Path) -> object:
    return diff(archcompiler.load("specs/resnet18.yaml"), archcompiler.load("specs/resnet34.yaml"))


@pytest.mark.parametrize("fmt, depth, name", [("text", 1, "resnet18__resnet34.txt"),
                                              ("text", None, "resnet18__resnet34.all.txt"),
                                              ("markdown", 1, "resnet18__resnet34.md")])
def test_resnet18_against_resnet34(resnets, fmt: str, depth: int | None, name: str) -> None:
    check_golden(GOLDEN / name, render(resnets, fmt, depth))
