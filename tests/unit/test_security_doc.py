"""docs/security.md states every limit with the value the code has (the table is checked, row by row)."""

from __future__ import annotations

import importlib
import re

from helpers import ROOT

DOC = (ROOT / "docs" / "security.md").read_text(encoding="utf-8")
ROWS = re.findall(r"^\| `(\w+)\.(\w+)`[^|]*\| ([^|]+) \|", DOC, re.M)


def test_the_limits_table_is_there() -> None:
    assert len(ROWS) >= 19


def test_every_limit_in_the_table_has_the_codes_value() -> None:
    for module, name, default in ROWS:
        value = getattr(importlib.import_module(f"archcompiler.{module}"), name)
        assert default.split()[0] == f"{value:,}", f"{module}.{name} is {value:,} in the code; the doc says {default}"


def test_every_limit_of_the_code_is_in_the_table() -> None:
    named = {(m, n) for m, n, _ in ROWS}
    for module in ("load", "parse", "expressions", "expand", "stats"):
        mod = importlib.import_module(f"archcompiler.{module}")
        for name in dir(mod):
            if name.startswith("MAX_") or name in ("WORK_BUDGET", "ROUND_DIGITS"):
                assert (module, name) in named, f"{module}.{name} is missing from docs/security.md"
