"""Which files archc validate checks: directories searched recursively (sorted, hidden directories, node_modules and
virtual environments skipped, symbolic-link loops harmless), specs told from other YAML by their archspec: key,
E106 for a file named explicitly that is not a spec, and --specs-only."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from archcompiler.cli import main
from archcompiler.discover import expand_paths, looks_like_broken_spec, may_be_spec
from helpers import ROOT

GOOD = (ROOT / "specs" / "linear_regression.yaml").read_text(encoding="utf-8")
BAD = "archspec: 1\nmodel:\n  inputs: {x: {shape: [4]}}\n  layers:\n    - Dense: {units: 0}\n"


def run(capsys: pytest.CaptureFixture, *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


@pytest.fixture
def tree(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A repository-like tree: specs at several depths, other YAML and JSON, and places never searched."""
    write(tmp_path / "b.yaml", GOOD)
    write(tmp_path / "a" / "z.yml", GOOD)
    write(tmp_path / "a" / "m" / "deep.json", json.dumps({"archspec": 1, "model": {
        "inputs": {"x": {"shape": [1]}}, "layers": [{"Dense": {"units": 1}}]}}))
    write(tmp_path / "a" / "config.yaml", "name: ci\non: [push]\n")             # YAML, not a spec
    write(tmp_path / "a" / "package.json", '{"name": "x", "version": "1.0.0"}')  # JSON, not a spec
    write(tmp_path / "a" / "mentions.yaml", "# archspec: 1 would make this a spec\nkey: value\n")
    write(tmp_path / "a" / "notes.txt", BAD)                                    # not a spec suffix
    write(tmp_path / "a" / "broken.yaml", "title: [unclosed\n")                  # not YAML, not a spec
    for skipped in (".git", ".venv", "node_modules", "venv", "a/.hidden"):
        write(tmp_path / skipped / "bad.yaml", BAD)
    write(tmp_path / "venv" / "pyvenv.cfg", "home = /usr/bin\n")
    write(tmp_path / ".pre-commit-config.yaml", BAD)                             # a hidden file
    monkeypatch.chdir(tmp_path)
    return tmp_path


def test_directories_are_searched_recursively_in_sorted_order(capsys, tree) -> None:
    code, out, err = run(capsys, "validate", ".")
    assert code == 0, err
    assert out.splitlines() == [
        "ok  a/m/deep.json: 2 layers, 2 params, 3 FLOPs",
        "ok  a/z.yml: 2 layers, 2 params, 3 FLOPs",
        "ok  b.yaml: 2 layers, 2 params, 3 FLOPs",
        out.splitlines()[-1],
    ]
    assert out.splitlines()[-1].startswith("3/3 specs valid, 4 other files skipped (")
    assert err == ""


def test_expand_paths_is_deterministic_and_keeps_command_line_order(tree) -> None:
    found = expand_paths(["b.yaml", "a", "./b.yaml"])
    assert [(c.path, c.explicit) for c in found] == [
        ("b.yaml", True), ("a/broken.yaml", False), ("a/config.yaml", False), ("a/m/deep.json", False),
        ("a/mentions.yaml", False), ("a/package.json", False), ("a/z.yml", False)]
    assert expand_paths(["a", "a/z.yml"])[-1].explicit  # named explicitly once is enough


def test_symbolic_link_loops_end(capsys, tree) -> None:
    os.symlink("..", tree / "a" / "m" / "up")        # a loop back to a/
    os.symlink(str(tree / "a"), tree / "again")       # the same directory twice
    code, out, _ = run(capsys, "validate", "-q", ".")
    assert code == 0
    found = [c.path for c in expand_paths(["."])]
    assert len(found) == len(set(os.path.realpath(p) for p in found)) == 7


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="needs FIFOs")
def test_special_files_are_never_opened(capsys, tree) -> None:
    os.mkfifo(tree / "a" / "pipe.yaml")  # reading it would wait for a writer forever
    os.symlink("nowhere.yaml", tree / "a" / "dangling.yaml")
    code, out, _ = run(capsys, "validate", ".")
    assert code == 0 and "3/3 specs valid, 4 other files skipped" in out
    code, _, err = run(capsys, "validate", "--specs-only", "a/pipe.yaml")
    assert code == 2 and "a/pipe.yaml" in err and "error[E100]" in err


def test_a_broken_spec_in_a_directory_is_reported(capsys, tree) -> None:
    write(tree / "a" / "bad.yaml", BAD)
    write(tree / "a" / "unparsable.yaml", "archspec: 1\nmodel: [unclosed\n")
    code, _, err = run(capsys, "validate", ".")
    assert code == 1
    assert "a/bad.yaml:5:22: error[E201]" in err
    assert "a/unparsable.yaml:" in err and "error[E101]" in err
    assert "broken.yaml" not in err.replace("unparsable.yaml", "")  # not YAML and no archspec: line: skipped
    assert "3/5 specs valid, 4 other files skipped" in err


def test_a_file_named_explicitly_must_be_a_spec(capsys, tree) -> None:
    code, out, err = run(capsys, "validate", "b.yaml", "a/config.yaml", "a/package.json")
    assert code == 1
    assert ("a/config.yaml:1:1: error[E106]: not an archc spec: its top-level mapping has no 'archspec' key"
            in err)
    assert "a/package.json:1:1: error[E106]" in err
    assert "hint: a spec file starts with 'archspec: 1'; add it if this is a spec, or pass --specs-only" in err
    assert "ok  b.yaml" in out and "1/3 specs valid" in err


@pytest.mark.parametrize("text, why", [
    ("", "the file is empty"),
    ("- a\n- b\n", "the file holds a list, not a mapping with an 'archspec' key"),
    ("just text\n", "the file holds a string, not a mapping with an 'archspec' key"),
])
def test_e106_says_what_the_file_holds(capsys, tmp_path, text, why) -> None:
    p = write(tmp_path / "x.yaml", text)
    code, _, err = run(capsys, "validate", str(p))
    assert code == 1 and f"error[E106]: not an archc spec: {why}" in err


def test_a_file_named_explicitly_that_is_not_yaml_gets_its_syntax_error(capsys, tree) -> None:
    code, _, err = run(capsys, "validate", "a/broken.yaml")
    assert code == 1 and "a/broken.yaml:2:1: error[E101]: invalid YAML" in err and "E106" not in err
    code, out, err = run(capsys, "validate", "--specs-only", "a/broken.yaml")  # no archspec: line: not a spec
    assert code == 0 and err == "" and out.startswith("no specs found, 1 other file skipped (")


def test_specs_only_skips_explicit_non_specs(capsys, tree) -> None:
    write(tree / "a" / "readme.md", "# A title\n\nSome text.\n")
    files = ["b.yaml", "a/config.yaml", "a/package.json", "a/mentions.yaml", "a/readme.md", "a/z.yml"]
    code, out, err = run(capsys, "validate", "--specs-only", *files)
    assert code == 0, err
    assert err == ""
    assert out.splitlines()[:2] == ["ok  b.yaml: 2 layers, 2 params, 3 FLOPs", "ok  a/z.yml: 2 layers, 2 params, 3 FLOPs"]
    assert out.splitlines()[2].startswith("2/2 specs valid, 4 other files skipped")
    # --specs-only never hides a spec's errors
    write(tree / "bad.yaml", BAD)
    code, _, err = run(capsys, "validate", "--specs-only", "bad.yaml", "a/config.yaml")
    assert code == 1 and "bad.yaml:5:22: error[E201]" in err


def test_specs_only_still_reports_missing_and_unreadable_files(capsys, tree) -> None:
    code, _, err = run(capsys, "validate", "--specs-only", "missing.yaml")
    assert code == 2 and "error[E100]: cannot read missing.yaml: No such file or directory" in err


def test_a_spec_without_archspec_is_validated_once_it_has_one(capsys, tmp_path) -> None:
    body = GOOD.replace("archspec: 1\n", "")
    assert body != GOOD
    p = write(tmp_path / "net.yaml", body)
    assert run(capsys, "validate", str(p))[0] == 1
    p.write_text("archspec: 1\n" + body, encoding="utf-8")
    assert run(capsys, "validate", str(p))[0] == 0


def test_the_archspec_test_does_not_guess_from_the_text(capsys, tmp_path) -> None:
    # the key spelt with an escape is still the key; the word in a comment or a value is not
    escaped = write(tmp_path / "escaped.yaml", '"\\x61rchspec": 1\n' + GOOD.replace("archspec: 1\n", ""))
    comment = write(tmp_path / "comment.yaml", "# archspec: 1\n" + GOOD.replace("archspec: 1\n", ""))
    nested = write(tmp_path / "nested.yaml", "tool:\n  archspec: 1\n")
    code, out, err = run(capsys, "validate", str(tmp_path))
    assert "ok  " + str(escaped) in out
    assert str(comment) not in out + err and str(nested) not in out + err
    assert code == 0 and "1/1 spec valid, 2 other files skipped" in out
    assert may_be_spec(b"a: 1\nb: '\\u0061'") and not may_be_spec(b"name: ci\n")
    assert looks_like_broken_spec("x.yaml", "\ufeffarchspec: 1\nmodel: [") and looks_like_broken_spec(
        "x.json", '{\n  "archspec": 1,') and not looks_like_broken_spec("x.yaml", "tool:\n  archspec: 1\n[")


def test_library_files_in_a_directory_stay_libraries(capsys, in_root) -> None:
    code, out, _ = run(capsys, "validate", "specs/lib")
    assert code == 0
    assert "ok  specs/lib/resnet_basic.yaml: block library (2 blocks)" in out


def test_validating_the_repository_checks_every_bundled_spec(capsys, in_root) -> None:
    code, out, err = run(capsys, "validate", "--specs-only", "specs", "README.md", "pyproject.toml")
    assert code == 0, err
    bundled = sorted(str(p.relative_to(ROOT)) for p in (ROOT / "specs").rglob("*")
                     if p.suffix in (".yaml", ".yml", ".json"))
    assert sorted(line.split(":")[0][4:] for line in out.splitlines() if line.startswith("ok  ")) == bundled
