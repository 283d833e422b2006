"""archc explain SPEC PATH and archc summary --explain: formats, errors, and the example in docs/cli.md."""

from __future__ import annotations

import json

from archcompiler.cli import main


def run(capsys, *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_text_names_the_entry_the_blocks_and_each_origin(capsys, in_root) -> None:
    code, out, err = run(capsys, "explain", "specs/resnet50_signs.yaml", "res2a_branch2a.filters")
    assert code == 0 and err == ""
    assert out.startswith("layer 'res2a_branch2a' (Conv2D) at specs/lib/resnet_signs_blocks.yaml:")
    assert "in block 'convolutional_block' (instance 'res2a') at specs/resnet50_signs.yaml:" in out
    assert "filters = 64\n" in out and "for st in $stages" in out and "default of the spec's parameter" in out


def test_json_and_set(capsys, in_root) -> None:
    code, out, _ = run(capsys, "explain", "specs/resnet18.yaml", "dense.units", "--format", "json",
                       "--set", "classes=3")
    assert code == 0
    d = json.loads(out)
    assert d["argument"]["value"] == 3
    assert [(r["name"], r["from"], r["written"]) for r in d["argument"]["reads"]] == [
        ("classes", "set", "--set classes=3")]
    code, out, _ = run(capsys, "explain", "specs/resnet18.yaml", "dense.units", "--set", "classes=3")
    assert "--set classes=3" in out and "(--set on the command line)" in out


def test_an_extends_default_is_in_the_extending_file(capsys, in_root) -> None:
    code, out, _ = run(capsys, "explain", "specs/resnet34.yaml", "stage2.channels")
    assert code == 0
    assert "specs/resnet34.yaml:8:11: depths: [3, 4, 6, 3]" in out and "specs/resnet18.yaml:15:" in out


def test_keras_default(capsys, in_root) -> None:
    code, out, _ = run(capsys, "explain", "specs/resnet18.yaml", "dense.use_bias")
    assert code == 0 and "the Keras default of Dense.use_bias" in out


def test_errors_are_usage_errors_with_a_hint(capsys, in_root) -> None:
    code, out, err = run(capsys, "explain", "specs/resnet18.yaml", "dense_x")
    assert code == 2 and out == "" and "did you mean 'dense'?" in err and "Traceback" not in err
    code, _, err = run(capsys, "explain", "specs/resnet18.yaml", "dense.unitz")
    assert code == 2 and "Dense has no argument 'unitz'; did you mean 'units'?" in err and "its arguments:" in err
    code, _, err = run(capsys, "explain", "specs/resnet18.yaml", "stage2.chanels")
    assert code == 2 and "did you mean 'channels'?" in err
    code, _, err = run(capsys, "explain", "specs/nosuch.yaml", "dense")
    assert code == 2 and "Traceback" not in err


def test_summary_explain_adds_the_arguments_of_each_block(capsys, in_root) -> None:
    code, out, _ = run(capsys, "summary", "specs/resnet18.yaml", "--format", "json", "--explain")
    assert code == 0
    blocks = {b["scope"]: b for b in json.loads(out)["blocks"]}
    ch = blocks["stage2"]["arguments"]["channels"]
    assert (ch["value"], ch["from"], ch["at"]) == (128, "argument", "specs/resnet18.yaml:28:36")
    assert blocks["stage2/residual_4"]["arguments"]["strides"]["from"] == "default"
    code, _, err = run(capsys, "summary", "specs/resnet18.yaml", "--explain")
    assert code == 2 and "--format json" in err


def test_the_examples_in_the_docs_are_real_runs(capsys, in_root) -> None:
    doc = (in_root / "docs" / "cli.md").read_text(encoding="utf-8")
    for argv in (["specs/resnet50_signs.yaml", "res2a_branch2a.filters"], ["specs/resnet34.yaml", "stage2.channels"]):
        shown = doc.split(f"$ archc explain {' '.join(argv)}\n", 1)[1].split("```", 1)[0]
        _, out, _ = run(capsys, "explain", *argv)
        assert out == shown


def test_a_repeat_variable(capsys, in_root) -> None:
    code, out, _ = run(capsys, "explain", "specs/resnet50_signs.yaml", "res2c.block", "--format", "json")
    assert code == 0
    arg = json.loads(out)["argument"]
    assert arg["value"] == "c" and [(r["name"], r["from"], r["value"], r["written"]) for r in arg["reads"]] == [
        ("i", "loop", 1, "repeat: ${st.depth - 1} (var i)")]
