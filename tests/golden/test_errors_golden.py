"""Golden error cases: each tests/golden/errors/*.yaml file compiles to exactly the diagnostics in its .out file.

File names start with the error code they exercise; a test checks that every code of the catalogue is exercised
here or in the named tests that cover it elsewhere.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from archcompiler import CompileError, load
from archcompiler.diagnostics import CODES
from archcompiler.discover import check_spec_file

from helpers import ROOT, check_golden

CASES = sorted((ROOT / "tests" / "golden" / "errors").glob("E*.yaml"))

#: Codes of the check `archc validate` makes on a file named explicitly before compiling it: their cases run
#: through that check (the other cases have no archspec: key, and are compiled with load()).
FILE_CHECKS = {"E106"}

#: Codes exercised by other tests (with the test that does it).
ELSEWHERE = {
    "E100": "tests/cli/test_cli.py::test_missing_file_is_exit_2",
    "E330": "tests/cli/test_cli.py::test_set_unknown_parameter",
    "E700": "tests/keras/test_build.py (Keras rejects a layer)",
    "E800": "tests/unit/test_plugins.py::test_a_broken_plugin_is_a_diagnostic_naming_its_package",
}


@pytest.mark.parametrize("case", CASES, ids=lambda p: p.stem)
def test_error_case(case: Path, in_root: Path) -> None:
    rel = case.relative_to(ROOT)
    code = case.stem.split("_")[0]
    with pytest.raises(CompileError) as info:
        check_spec_file(rel) if code in FILE_CHECKS else load(rel)
    text = info.value.render() + "\n"
    check_golden(case.with_suffix(".out"), text)
    assert any(d.code == code for d in info.value.diagnostics), f"{case.name} should produce {code}"


def test_every_code_is_exercised() -> None:
    covered = {p.stem.split("_")[0] for p in CASES} | set(ELSEWHERE)
    missing = sorted(set(CODES) - covered)
    assert not missing, f"error codes without a test case: {missing}"


def test_codes_are_documented(in_root: Path) -> None:
    doc = (ROOT / "docs" / "errors.md").read_text(encoding="utf-8")
    for code, title in CODES.items():
        assert f"| {code} |" in doc, f"{code} ({title}) is missing from docs/errors.md"
