"""The command line: exit codes, stdout versus stderr, output formats, --set, and no TensorFlow in the core."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from archcompiler.cli import main
from helpers import ROOT

SPECS = sorted(str(p.relative_to(ROOT)) for p in ROOT.glob("specs/**/*.yaml") if "lib" not in p.parts)


def run(capsys: pytest.CaptureFixture, *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def as_spec(tmp_path: Path, case: str) -> str:
    """A golden error case with 'archspec: 1' in front (so one line lower), which validate reads as a spec."""
    target = tmp_path / case
    target.write_text("archspec: 1\n" + (ROOT / "tests" / "golden" / "errors" / case).read_text(encoding="utf-8"),
                      encoding="utf-8")
    return str(target)


def test_validate_all_bundled_specs(capsys, in_root) -> None:
    code, out, err = run(capsys, "validate", *SPECS)
    assert code == 0, err
    assert f"{len(SPECS)}/{len(SPECS)} specs valid" in out
    assert err == ""


def test_validate_accepts_block_libraries(capsys, in_root) -> None:
    code, out, _ = run(capsys, "validate", "specs/lib/resnet_basic.yaml")
    assert code == 0 and "ok  specs/lib/resnet_basic.yaml: block library (2 blocks)" in out


def test_validate_reports_errors_on_stderr_and_exit_1(capsys, in_root, tmp_path) -> None:
    bad = as_spec(tmp_path, "E201_invalid_values.yaml")
    code, out, err = run(capsys, "validate", bad, "specs/happy_model.yaml")
    assert code == 1
    assert f"{bad}:6:25: error[E201]" in err
    assert "4 errors" in err
    assert "ok  specs/happy_model.yaml" in out
    assert "1/2 specs valid" in err


def test_validate_json_format(capsys, in_root, tmp_path) -> None:
    code, out, _ = run(capsys, "validate", "--format", "json", as_spec(tmp_path, "E310_block_params.yaml"),
                       "specs/vgg16.yaml")
    assert code == 1
    report = json.loads(out)
    assert report["files"] == 2 and report["valid"] == 1
    first = report["diagnostics"][0]
    assert first["code"] == "E310" and first["line"] == 13 and first["col"] == 13
    assert first["hint"] == "did you mean 'width'?"


def test_validate_github_format(capsys, tmp_path, monkeypatch) -> None:
    monkeypatch.chdir(tmp_path)
    code, out, _ = run(capsys, "validate", "--format", "github", Path(as_spec(tmp_path, "E202_missing_key.yaml")).name)
    assert code == 1
    assert out.startswith("::error file=E202_missing_key.yaml,line=5,col=14")


def test_missing_file_is_exit_2(capsys, tmp_path) -> None:
    code, _, err = run(capsys, "validate", str(tmp_path / "nope.yaml"))
    assert code == 2
    assert "error[E100]: cannot read" in err and "No such file or directory" in err


def test_directory_is_exit_2(capsys, tmp_path) -> None:
    code, _, err = run(capsys, "summary", str(tmp_path))
    assert code == 2 and "E100" in err


def test_not_utf8_is_a_clean_error(capsys, tmp_path) -> None:
    p = tmp_path / "bin.yaml"
    p.write_bytes(b"\xff\xfe\x00garbage")
    code, _, err = run(capsys, "validate", str(p))
    assert code == 2 and "not UTF-8" in err


def test_usage_errors_are_exit_2(capsys) -> None:
    with pytest.raises(SystemExit) as info:
        main(["summary"])
    assert info.value.code == 2
    with pytest.raises(SystemExit) as info:
        main(["summary", "x.yaml", "--depth", "0"])
    assert info.value.code == 2
    assert main([]) == 2


def test_summary_json(capsys, in_root) -> None:
    code, out, _ = run(capsys, "summary", "specs/resnet50_signs.yaml", "--format", "json")
    assert code == 0
    data = json.loads(out)
    assert data["total_params"] == 23600006
    assert data["trainable_params"] == 23546886 and data["non_trainable_params"] == 53120
    assert data["flops"] > 0 and data["macs"] > 0
    assert len(data["layers"]) == 177 and len(data["blocks"]) == 16
    assert data["blocks"][0]["name"] == "res2a" and data["blocks"][0]["block"] == "convolutional_block"
    assert sum(b["params"] for b in data["blocks"]) + sum(
        r["params"] for r in data["layers"] if not r["scope"]) == data["total_params"]


def test_summary_depth_and_markdown(capsys, in_root) -> None:
    _, top, _ = run(capsys, "summary", "specs/resnet18.yaml")
    _, everything, _ = run(capsys, "summary", "specs/resnet18.yaml", "--depth", "all")
    assert "[+] stage1 (resnet_stage)" in top and "conv2d_1 (Conv2D)" not in top
    assert "[-] stage1 (resnet_stage)" in everything and "conv2d_1 (Conv2D)" in everything
    _, md, _ = run(capsys, "summary", "specs/resnet18.yaml", "--format", "markdown")
    assert md.startswith("### Model `resnet18`") and "| Layer (type) |" in md


def test_summary_to_file(capsys, in_root, tmp_path) -> None:
    target = tmp_path / "out" / "s.txt"
    code, out, _ = run(capsys, "summary", "specs/happy_model.yaml", "-o", str(target))
    assert code == 0 and out == ""
    assert "Total params: 37,633" in target.read_text()


def test_set_overrides(capsys, in_root) -> None:
    code, out, _ = run(capsys, "summary", "specs/resnet18.yaml", "--set", "classes=3", "--set",
                       "input_shape=[64, 64, 3]", "--format", "json")
    assert code == 0
    data = json.loads(out)
    assert data["outputs"][0]["shape"] == [3]
    assert data["inputs"][0]["shape"] == [64, 64, 3]
    assert data["overrides"] == {"classes": 3, "input_shape": [64, 64, 3]}


def test_set_unknown_parameter(capsys, in_root) -> None:
    code, _, err = run(capsys, "validate", "specs/resnet18.yaml", "--set", "clases=3")
    assert code == 1
    assert "error[E330]: --set clases: the spec has no parameter 'clases'" in err
    assert "did you mean 'classes'?" in err


def test_set_wrong_type(capsys, in_root) -> None:
    code, _, err = run(capsys, "validate", "specs/resnet18.yaml", "--set", "classes=ten")
    assert code == 1 and "error[E330]: --set classes: the parameter expects int. Received: string 'ten'" in err


def test_set_malformed(capsys, in_root) -> None:
    code, _, err = run(capsys, "validate", "specs/resnet18.yaml", "--set", "classes")
    assert code == 2 and "--set takes name=value" in err


def test_ir(capsys, in_root) -> None:
    code, out, _ = run(capsys, "ir", "specs/happy_model.yaml")
    assert code == 0
    assert out.splitlines()[3] == "%conv0 = Conv2D(%zero_padding2d) {filters=32,kernel_size=[7,7],strides=[1,1]} " \
                                  "-> (64, 64, 32)"


def test_layers_listing(capsys) -> None:
    from archcompiler.layers import REGISTRY
    code, out, _ = run(capsys, "layers")
    assert code == 0 and all(op in out for op in REGISTRY)
    code, out, _ = run(capsys, "layers", "--format", "json")
    from archcompiler.layers.plugins import discover
    assert set(json.loads(out)) == set(REGISTRY) | set(discover().types)  # the installed plugins' types too


def test_schema_check(capsys, in_root) -> None:
    code, out, _ = run(capsys, "schema", "--check")
    assert code == 0, "schema/archspec.schema.json is stale: run `archc schema -o schema/archspec.schema.json`"


def test_internal_errors_are_exit_101(capsys, monkeypatch, in_root) -> None:
    import archcompiler.cli as cli

    def boom(*a, **k):
        raise RuntimeError("boom")
    monkeypatch.setattr(cli, "_compile", boom)
    code, _, err = run(capsys, "summary", "specs/happy_model.yaml")
    assert code == 101 and "internal error" in err and "This is a bug in archc" in err


def test_help_explains_every_command(capsys) -> None:
    for cmd in ("validate", "summary", "diff", "explain", "ir", "schema", "layers", "build", "render"):
        with pytest.raises(SystemExit):
            main([cmd, "--help"])
        out, _ = capsys.readouterr()
        assert "exit codes" in out and len(out) > 300


BLOCK_TF = """
import sys, importlib.abc
class Block(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path, target=None):
        if name.split('.')[0] in ('tensorflow', 'keras', 'tf_keras', 'jax', 'torch'):
            raise ImportError('blocked: ' + name)
sys.meta_path.insert(0, Block())
from archcompiler.cli import main
code = main(sys.argv[1:])
bad = [m for m in sys.modules if m.split('.')[0] in ('tensorflow', 'keras')]
assert not bad, bad
sys.exit(code)
"""


@pytest.mark.parametrize("argv", [
    ["validate", *SPECS], ["summary", "specs/resnet50_signs.yaml", "--format", "json"], ["schema"],
    ["ir", "specs/squeezenet.yaml"], ["layers", "--format", "markdown"],
    ["diff", "specs/resnet18.yaml", "specs/resnet34.yaml", "--format", "json"],
    ["explain", "specs/resnet50_signs.yaml", "res2a_branch2a.filters"],
    ["summary", "specs/resnet18.yaml", "--format", "json", "--explain"],
])
def test_core_commands_never_import_tensorflow(argv: list[str]) -> None:
    r = subprocess.run([sys.executable, "-c", BLOCK_TF, *argv], cwd=ROOT, capture_output=True, text=True)
    assert r.returncode == 0, r.stderr[-2000:]


def test_console_script_works() -> None:
    exe = Path(sys.executable).parent / "archc"
    if not exe.exists():
        pytest.skip("archc console script not installed in this environment")
    r = subprocess.run([str(exe), "validate", "specs/happy_model.yaml"], cwd=ROOT, capture_output=True, text=True)
    assert r.returncode == 0 and "ok  specs/happy_model.yaml" in r.stdout
