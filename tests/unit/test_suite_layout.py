"""The test suite collects as one run: pytest imports test modules by their base name (the test folders are not
packages), so two files of the same name in different folders fail the whole run at collection, and only a run
that collects both (``make test``, CI) shows it."""

from __future__ import annotations

from collections import Counter

from helpers import ROOT


def test_test_modules_have_unique_names() -> None:
    names = Counter(p.name for p in (ROOT / "tests").rglob("test_*.py"))
    assert not [n for n, k in names.items() if k > 1], "rename one of each pair: " + ", ".join(
        str(p.relative_to(ROOT)) for p in (ROOT / "tests").rglob("test_*.py") if names[p.name] > 1)
