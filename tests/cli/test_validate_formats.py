"""The output formats of archc validate: one registry of reporters; SARIF 2.1.0 checked against the official schema;
the versioned JSON report checked against its own schema; GitHub annotations escaped per the workflow command
rules."""

from __future__ import annotations

import hashlib
import json
import shutil
from pathlib import Path

import jsonschema
import pytest

from archcompiler import __version__
from archcompiler.cli import build_parser, main
from archcompiler.diagnostics import CODES, Diagnostic, escape_data, escape_property, render_github
from archcompiler.reporters import REPORT_VERSION, REPORTERS, FileResult, Reporter, report_schema
from archcompiler.source import Span
from helpers import ROOT

SARIF_SCHEMA = ROOT / "tests" / "data" / "sarif-schema-2.1.0.json"
SARIF_SHA256 = "c3b4bb2d6093897483348925aaa73af03b3e3f4bd4ca38cef26dcb4212a2682e"

#: A spec with errors in the spec itself, with a hint, and inside a block of an imported library.
BROKEN = """archspec: 1
imports:
  - from: lib/resnet_basic.yaml
model:
  inputs:
    image: {shape: [32, 32, 3]}
  layers:
    - Conv2D: {filters: 16, kernel_size: 3, padding: same}
    - residual: {channels: 0}
    - Dens: {units: 3}
"""
#: A file name with the characters that workflow-command properties and URIs must escape.
ODD_NAME = "100% we,ird:name.yaml"


@pytest.fixture
def workdir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A working directory with the broken spec (under an odd name), a valid spec, a library and a non-spec."""
    shutil.copytree(ROOT / "specs" / "lib", tmp_path / "lib")
    shutil.copy(ROOT / "specs" / "happy_model.yaml", tmp_path / "good.yaml")
    (tmp_path / ODD_NAME).write_text(BROKEN, encoding="utf-8")
    (tmp_path / "notes.yaml").write_text("title: not a spec\n", encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    return tmp_path


def run(capsys: pytest.CaptureFixture, *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


# ---------------------------------------------------------------------------------------------------------------
# the registry
# ---------------------------------------------------------------------------------------------------------------

def test_formats_are_the_registry() -> None:
    validate = next(a for a in build_parser()._subparsers._group_actions[0].choices["validate"]._actions
                    if a.dest == "format")
    assert tuple(validate.choices) == tuple(REPORTERS) == ("text", "json", "github", "sarif")
    assert all(issubclass(r, Reporter) and r.name == name and r.help for name, r in REPORTERS.items())


def test_reporters_return_text_and_print_nothing(capsys) -> None:
    bad = FileResult("x.yaml", "error", diagnostics=(Diagnostic("E201", "bad", Span("x.yaml", 2, 3, 2, 4)),),
                     exit_code=1)
    good = FileResult("y.yaml", "ok", kind="model", layers=2, params=5, flops=7)
    for name, cls in REPORTERS.items():
        r = cls()
        pieces = r.file(bad) + r.file(good) + r.end([bad, good], 1.0)
        assert pieces, name
        assert all(stream in ("stdout", "stderr") and isinstance(text, str) and text.endswith("\n")
                   for stream, text in pieces), name
    assert capsys.readouterr() == ("", "")


# ---------------------------------------------------------------------------------------------------------------
# SARIF
# ---------------------------------------------------------------------------------------------------------------

def sarif_validator() -> jsonschema.Draft4Validator:
    data = SARIF_SCHEMA.read_bytes()
    assert hashlib.sha256(data).hexdigest() == SARIF_SHA256, "tests/data/sarif-schema-2.1.0.json was changed"
    schema = json.loads(data)
    assert schema["id"].endswith("/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json")
    return jsonschema.Draft4Validator(schema)


def test_sarif_is_valid_sarif_2_1_0(capsys, workdir) -> None:
    code, out, _ = run(capsys, "validate", "--format", "sarif", ODD_NAME, "good.yaml", "lib", "--jobs", "1")
    assert code == 1
    log = json.loads(out)
    errors = sorted(sarif_validator().iter_errors(log), key=lambda e: list(e.absolute_path))
    assert not errors, [f"{list(e.absolute_path)}: {e.message}" for e in errors[:5]]

    assert log["version"] == "2.1.0"
    (run_,) = log["runs"]
    driver = run_["tool"]["driver"]
    assert driver["name"] == "archc" and driver["version"] == __version__ and driver["informationUri"]
    rules = {r["id"]: r for r in driver["rules"]}
    assert set(rules) == set(CODES)
    assert rules["E203"]["shortDescription"]["text"] == CODES["E203"]
    assert "docs/errors.md" in rules["E203"]["help"]["text"] and rules["E203"]["helpUri"].endswith("errors.md")
    assert run_["columnKind"] == "unicodeCodePoints"

    results = run_["results"]
    assert [r["ruleId"] for r in results] == ["E203", "E201", "E201"]  # sorted by file, then position
    assert all(r["level"] == "error" and driver["rules"][r["ruleIndex"]]["id"] == r["ruleId"] for r in results)
    typo = results[0]
    assert typo["message"]["text"] == ("unknown layer or block type 'Dens'\nat model.layers[2].Dens\n"
                                       "hint: did you mean 'Dense'?")
    loc = typo["locations"][0]["physicalLocation"]
    assert loc["artifactLocation"]["uri"] == "100%25%20we%2Cird%3Aname.yaml"
    assert loc["region"] == {"startLine": 10, "startColumn": 7, "endLine": 10, "endColumn": 11}
    in_block = results[1]
    assert in_block["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] == "lib/resnet_basic.yaml"
    (call,) = in_block["relatedLocations"]
    assert call["physicalLocation"]["region"]["startLine"] == 9
    assert call["message"]["text"] == "in block 'residual' (instance 'residual_1')"


def test_sarif_uris_are_relative_to_the_working_directory(capsys, workdir) -> None:
    code, out, _ = run(capsys, "validate", "--format", "sarif", str(workdir / ODD_NAME))
    assert code == 1
    uris = {loc["physicalLocation"]["artifactLocation"]["uri"]
            for r in json.loads(out)["runs"][0]["results"] for loc in r["locations"]}
    assert uris == {"lib/resnet_basic.yaml", "100%25%20we%2Cird%3Aname.yaml"}


def test_sarif_of_a_clean_run_has_no_results(capsys, workdir) -> None:
    code, out, _ = run(capsys, "validate", "--format", "sarif", "good.yaml")
    log = json.loads(out)
    assert code == 0 and log["runs"][0]["results"] == [] and not list(sarif_validator().iter_errors(log))


def test_sarif_places_errors_without_a_position_on_the_file(capsys, workdir) -> None:
    code, out, _ = run(capsys, "validate", "--format", "sarif", "good.yaml", "--set", "nope=1")
    log = json.loads(out)
    assert code == 1 and not list(sarif_validator().iter_errors(log))
    (result,) = log["runs"][0]["results"]
    assert result["ruleId"] == "E330"
    assert result["locations"] == [{"physicalLocation": {"artifactLocation": {"uri": "good.yaml"}}}]


# ---------------------------------------------------------------------------------------------------------------
# the JSON report
# ---------------------------------------------------------------------------------------------------------------

def test_json_report_matches_its_schema(capsys, workdir) -> None:
    schema = report_schema()
    jsonschema.Draft202012Validator.check_schema(schema)
    validator = jsonschema.Draft202012Validator(schema)
    code, out, _ = run(capsys, "validate", "--format", "json", ODD_NAME, "good.yaml", "lib", ".", "nope.yaml")
    assert code == 2  # nope.yaml cannot be read
    report = json.loads(out)
    errors = list(validator.iter_errors(report))
    assert not errors, [f"{list(e.absolute_path)}: {e.message}" for e in errors[:5]]
    assert report["version"] == REPORT_VERSION == 1 and report["archc"] == __version__
    # the odd file, good.yaml, lib/ (3 files), then "." adds nothing new but notes.yaml, skipped; then nope.yaml
    assert [r["file"] for r in report["results"]] == [ODD_NAME, "good.yaml", "lib/resnet_basic.yaml",
                                                      "lib/resnet_signs_blocks.yaml", "lib/vgg.yaml", "nope.yaml"]
    assert report["files"] == 6 and report["valid"] == 4 and report["skipped"] == 1
    by_file = {r["file"]: r for r in report["results"]}
    assert by_file["good.yaml"] == {"file": "good.yaml", "status": "ok", "kind": "model", "layers": 8,
                                    "params": 37633, "flops": 39125185, "blocks": None, "errors": 0}
    assert by_file["lib/resnet_basic.yaml"]["kind"] == "library" and by_file["lib/resnet_basic.yaml"]["blocks"] == 2
    assert by_file[ODD_NAME]["status"] == "error" and by_file[ODD_NAME]["errors"] == 3
    assert [d["code"] for d in report["diagnostics"]] == ["E203", "E201", "E201", "E100"]
    assert all(d["severity"] == "error" for d in report["diagnostics"])
    assert report["diagnostics"][1]["chain"] == [{"block": "residual", "instance": "residual_1",
                                                  "at": f"{ODD_NAME}:9:7"}]


def test_report_schema_is_shipped_and_documented() -> None:
    shipped = ROOT / "archcompiler" / "data" / "report.schema.json"
    assert json.loads(shipped.read_text(encoding="utf-8")) == report_schema()
    assert '"data/*.json"' in (ROOT / "pyproject.toml").read_text(encoding="utf-8")  # package data
    cli_doc = (ROOT / "docs" / "cli.md").read_text(encoding="utf-8")
    assert "archcompiler/data/report.schema.json" in cli_doc
    for key in report_schema()["required"]:
        assert f"`{key}`" in cli_doc, f"docs/cli.md does not describe the report's {key!r}"
    for key in report_schema()["$defs"]["diagnostic"]["required"]:
        assert f"`{key}`" in cli_doc, f"docs/cli.md does not describe the diagnostics' {key!r}"


def test_json_report_rejects_what_it_does_not_describe() -> None:
    validator = jsonschema.Draft202012Validator(report_schema())
    good = {"version": 1, "archc": "0", "files": 0, "valid": 0, "skipped": 0, "results": [], "diagnostics": [],
            "milliseconds": 1.0}
    assert validator.is_valid(good)
    assert not validator.is_valid({**good, "version": 2})
    assert not validator.is_valid({**good, "extra": 1})
    assert not validator.is_valid({k: v for k, v in good.items() if k != "archc"})


# ---------------------------------------------------------------------------------------------------------------
# GitHub annotations
# ---------------------------------------------------------------------------------------------------------------

def test_workflow_command_escaping() -> None:
    assert escape_data("100% a\r\nb: c, d") == "100%25 a%0D%0Ab: c, d"
    assert escape_property("100% a\r\nb: c, d") == "100%25 a%0D%0Ab%3A c%2C d"


def test_github_annotations_escape_file_names_and_messages(capsys, workdir) -> None:
    code, out, _ = run(capsys, "validate", "--format", "github", ODD_NAME)
    assert code == 1
    lines = out.splitlines()
    assert len(lines) == 3 and all(line.startswith("::error ") for line in lines)
    assert lines[0] == ("::error file=100%25 we%2Cird%3Aname.yaml,line=10,col=7,endLine=10,endColumn=11,"
                        "title=E203 unknown layer or block type::unknown layer or block type 'Dens'"
                        "%0Ahint: did you mean 'Dense'?")
    assert lines[1].startswith("::error file=lib/resnet_basic.yaml,line=14,col=27,endLine=14,endColumn=36,"
                               "title=E201 invalid value::Conv2D.filters:")


def test_github_annotation_properties_cannot_be_split() -> None:
    d = Diagnostic("E201", "50% off\nnext line", Span("a,b:c.yaml", 1, 2, 1, 3), hint="try: this, or that")
    (line,) = render_github([d]).splitlines()
    props, _, message = line[len("::error "):].partition("::")
    assert props.split(",") == ["file=a%2Cb%3Ac.yaml", "line=1", "col=2", "endLine=1", "endColumn=3",
                                "title=E201 invalid value"]
    assert message == "50%25 off%0Anext line%0Ahint: try: this, or that"
    nowhere = Diagnostic("E330", "--set x: no such parameter")
    assert render_github([nowhere], default_file="s,1.yaml") == \
        "::error file=s%2C1.yaml,title=E330 invalid --set override::--set x: no such parameter"
