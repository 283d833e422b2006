"""archc diff on the command line: formats, --set on either side, exit codes (--exit-code), -o, and the errors of
both specs as compile errors."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from archcompiler.cli import main


def run(capsys: pytest.CaptureFixture, *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_resnet18_against_resnet34(capsys, in_root) -> None:
    code, out, err = run(capsys, "diff", "specs/resnet18.yaml", "specs/resnet34.yaml")
    assert code == 0 and err == ""
    assert "Params              11,186,186     21,305,482     +10,119,296" in out
    for stage, a, b, delta in (("stage1", "148,736", "223,104", "+74,368"),
                               ("stage2", "526,976", "1,119,360", "+592,384"),
                               ("stage3", "2,102,528", "6,831,360", "+4,728,832"),
                               ("stage4", "8,399,360", "13,123,072", "+4,723,712")):
        line = next(x for x in out.splitlines() if x.startswith(f"~ {stage} (resnet_stage)"))
        assert line.split()[-5:-2] == [a, b, delta]


def test_json_matches_the_summaries(capsys, in_root) -> None:
    code, out, _ = run(capsys, "diff", "specs/resnet18.yaml", "specs/resnet34.yaml", "--format", "json")
    assert code == 0
    data = json.loads(out)
    assert data["version"] == 1 and data["differs"] is True
    assert data["totals"]["params"] == {"a": 11186186, "b": 21305482, "delta": 10119296}
    summaries = []
    for spec in ("specs/resnet18.yaml", "specs/resnet34.yaml"):
        _, text, _ = run(capsys, "summary", spec, "--format", "json")
        summaries.append({b["scope"]: b for b in json.loads(text)["blocks"]})
    top = [b for b in data["blocks"] if b["level"] == 0]
    for b in top:  # each stage's figures are those of the two summaries
        for key in ("params", "flops", "macs"):
            assert b[key]["a"] == summaries[0][b["scope"]][key] and b[key]["b"] == summaries[1][b["scope"]][key]
    assert [b["name"] for b in top] == ["stage1", "stage2", "stage3", "stage4"]
    assert sum(b["params"]["delta"] for b in top) == 10119296
    # the layers of the extra residual blocks are added; changed are only the layers that read another layer:
    # the first convolution and the shortcut projection of stages 2-4 and the pooling; the rest are renamed
    assert data["layer_counts"] == {"added": 56, "removed": 0, "changed": 7, "unchanged": 59}
    assert data["renamed"] == {"layers": 45, "blocks": 6}
    changed = [x for x in data["layers"] if x["status"] == "changed"]
    assert [x["type"]["b"] for x in changed] == ["Conv2D"] * 6 + ["GlobalAveragePooling2D"]
    assert all(x["inputs"]["differs"] and not x["scope"]["differs"] and x["arguments"] == [] for x in changed)
    added = {b["scope"] for b in data["blocks"] if b["status"] == "added"}
    assert added == {"stage1/residual_3", "stage2/residual_6", "stage2/residual_7", "stage3/residual_10",
                     "stage3/residual_11", "stage3/residual_12", "stage3/residual_13", "stage4/residual_16"}
    assert {b["scope"] for b in data["blocks"] if b["status"] == "changed"} == {"stage1", "stage2", "stage3",
                                                                                "stage4"}


def test_one_spec_with_set_and_exit_code(capsys, in_root) -> None:
    code, out, _ = run(capsys, "diff", "specs/resnet18.yaml", "--exit-code")
    assert code == 0 and "no differences" in out
    code, out, _ = run(capsys, "diff", "specs/resnet18.yaml", "--set", "depths=[3, 4, 6, 3]", "--exit-code")
    assert code == 1 and "+10,119,296" in out and "--set depths=[3, 4, 6, 3]" in out
    # --set-a changes A: the same depths on both sides leave nothing to report
    code, out, _ = run(capsys, "diff", "specs/resnet18.yaml", "specs/resnet34.yaml", "--set-a",
                       "depths=[3, 4, 6, 3]", "--exit-code")
    assert code == 0 and "no differences" in out
    code, _, _ = run(capsys, "diff", "specs/resnet18.yaml", "--set", "classes=4")
    assert code == 0  # without --exit-code a difference is not a failure


def test_depth_and_markdown(capsys, in_root) -> None:
    _, top, _ = run(capsys, "diff", "specs/resnet18.yaml", "specs/resnet34.yaml")
    _, every, _ = run(capsys, "diff", "specs/resnet18.yaml", "specs/resnet34.yaml", "--depth", "all")
    assert "+ residual_" not in top and "  + residual_16 (residual)" in every
    _, md, _ = run(capsys, "diff", "specs/resnet18.yaml", "specs/resnet34.yaml", "--format", "markdown")
    assert md.startswith("### `resnet18` -> `resnet34`") and "| Params | 11,186,186 | 21,305,482 | **+10,119,296** |" in md


def test_output_file(capsys, in_root, tmp_path: Path) -> None:
    target = tmp_path / "out" / "diff.md"
    code, out, _ = run(capsys, "diff", "specs/resnet18.yaml", "specs/resnet34.yaml", "--format", "markdown",
                       "-o", str(target))
    assert code == 0 and out == ""
    assert target.read_text().startswith("### `resnet18`")
    assert [p.name for p in target.parent.iterdir()] == ["diff.md"]
    code, _, err = run(capsys, "diff", "specs/resnet18.yaml", "-o", str(tmp_path))
    assert code == 2 and "it is a directory" in err


def test_errors_of_both_specs_are_reported(capsys, in_root, tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("archspec: 1\nmodel:\n  inputs:\n    x: {shape: [4]}\n  layers:\n    - Dense: {units: 0}\n")
    code, out, err = run(capsys, "diff", str(bad), str(tmp_path / "missing.yaml"))
    assert code == 2 and out == ""
    assert f"{bad}:6:22: error[E201]" in err and f"{tmp_path / 'missing.yaml'}:1:1: error[E100]" in err
    assert "2 errors" in err
    code, _, err = run(capsys, "diff", "specs/resnet18.yaml", "--set", "nosuch=1")
    assert code == 2 and "error[" in err


def test_usage_errors(capsys, in_root) -> None:
    with pytest.raises(SystemExit) as e:
        main(["diff"])
    assert e.value.code == 2
    with pytest.raises(SystemExit) as e:
        main(["diff", "specs/resnet18.yaml", "--format", "html"])
    assert e.value.code == 2


def test_the_example_in_the_docs_is_a_real_run(capsys, in_root) -> None:
    doc = (in_root / "docs" / "cli.md").read_text(encoding="utf-8")
    command = "$ archc diff specs/resnet18.yaml specs/resnet34.yaml\n"
    shown = doc.split(command, 1)[1].split("\n...\n```", 1)[0]
    _, out, _ = run(capsys, "diff", "specs/resnet18.yaml", "specs/resnet34.yaml")
    assert out.startswith(shown + "\n") and len(shown.splitlines()) > 20
