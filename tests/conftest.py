"""Shared test set-up: ``tests/`` on the import path (for helpers.py, specs_table.py, kerasutil.py) and a fixture
that runs a test from the repository root."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))

from helpers import ROOT  # noqa: E402


@pytest.fixture
def in_root(monkeypatch: pytest.MonkeyPatch) -> Path:
    """Runs the test from the repository root, so that paths in messages are relative to it."""
    monkeypatch.chdir(ROOT)
    return ROOT
