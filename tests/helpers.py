"""Shared test helpers: the repository root, and golden files (ARCHC_UPDATE_GOLDEN=1 rewrites them)."""

from __future__ import annotations

import os
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
UPDATE_GOLDEN = os.environ.get("ARCHC_UPDATE_GOLDEN") == "1"


def check_golden(path: Path, actual: str) -> None:
    """Compares ``actual`` with the golden file at ``path``; with ARCHC_UPDATE_GOLDEN=1 rewrites it instead."""
    if UPDATE_GOLDEN:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(actual, encoding="utf-8")
        return
    assert path.exists(), f"missing golden file {path}; run with ARCHC_UPDATE_GOLDEN=1 to create it"
    expected = path.read_text(encoding="utf-8")
    assert actual == expected, (f"{path} differs; review the change and run with ARCHC_UPDATE_GOLDEN=1 to accept it")
