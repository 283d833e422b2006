"""The pre-commit hooks of .pre-commit-hooks.yaml, run by pre-commit itself on a scratch repository.

The hooks are used as a project uses them: `repo:` is a git repository holding this checkout's package and hook
file (a scratch copy, so that uncommitted work is what is tested) at a `rev:` commit, and pre-commit installs archc
into an environment of its own (`language: python`, from the package index, once for both tests). Slow: that
installation takes a quarter of a minute.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from helpers import ROOT

pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("pre-commit")]

GOOD = (ROOT / "specs" / "happy_model.yaml").read_text(encoding="utf-8")
BAD = "archspec: 1\nmodel:\n  inputs: {x: {shape: [4]}}\n  layers:\n    - Dense: {units: 0}\n"
UNRELATED = "# a workflow, not a spec\nname: ci\non: [push]\njobs: {test: {runs-on: ubuntu-latest}}\n"
UNQUOTED = ("archspec: 1\nparams:\n  n: {type: int, default: 4}\nmodel:\n  inputs: {x: {shape: [4]}}\n"
            "  layers:\n    - Dense: {units: ${2 * n}}\n")


def git(cwd: Path, *args: str) -> str:
    r = subprocess.run(["git", "-c", "user.name=archc tests", "-c", "user.email=tests@archc.invalid",
                        "-c", "init.defaultBranch=main", "-c", "commit.gpgsign=false", *args],
                       cwd=cwd, capture_output=True, text=True, check=True)
    return r.stdout.strip()


@pytest.fixture(scope="module")
def hooks(tmp_path_factory: pytest.TempPathFactory) -> dict:
    """A git repository with this checkout's package and hooks at one commit, and a pre-commit home for both tests."""
    if shutil.which("git") is None:
        pytest.skip("git is not installed")
    base = tmp_path_factory.mktemp("pre-commit")
    repo = base / "archc"
    shutil.copytree(ROOT / "archcompiler", repo / "archcompiler",
                    ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
    for name in ("pyproject.toml", "README.md", ".pre-commit-hooks.yaml"):
        shutil.copy2(ROOT / name, repo / name)
    git(repo, "init", "-q")
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "archc")
    return {"repo": repo, "rev": git(repo, "rev-parse", "HEAD"), "home": base / "home"}


def project(tmp_path: Path, hooks: dict, files: dict[str, str]) -> Path:
    proj = tmp_path / "project"
    proj.mkdir()
    for name, text in files.items():
        (proj / name).write_text(text, encoding="utf-8")
    (proj / ".pre-commit-config.yaml").write_text(
        f"repos:\n  - repo: {hooks['repo']}\n    rev: {hooks['rev']}\n    hooks:\n"
        "      - id: archc-validate\n      - id: archc-fmt\n", encoding="utf-8")
    git(proj, "init", "-q")
    git(proj, "add", "-A")
    return proj


def pre_commit(proj: Path, hooks: dict, *args: str) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PRE_COMMIT", "GIT_"))}
    env["PRE_COMMIT_HOME"] = str(hooks["home"])
    return subprocess.run([sys.executable, "-m", "pre_commit", "run", "--color", "never", *args], cwd=proj,
                          env=env, capture_output=True, text=True, timeout=600)


def test_archc_validate_hook(tmp_path: Path, hooks: dict) -> None:
    proj = project(tmp_path, hooks, {"good.yaml": GOOD, "bad.yaml": BAD, "workflow.yml": UNRELATED})
    r = pre_commit(proj, hooks, "archc-validate", "--all-files")
    out = r.stdout + r.stderr
    assert r.returncode == 1, out
    assert "archc validate" in out and "Failed" in out
    assert "bad.yaml:5:22: error[E201]: Dense.units: input should be greater than or equal to 1" in out
    assert "good.yaml:" not in out and "workflow.yml" not in out and "E106" not in out
    # the good spec and the unrelated YAML file (and the config file itself) pass
    r = pre_commit(proj, hooks, "archc-validate", "--files", "good.yaml", "workflow.yml", ".pre-commit-config.yaml")
    assert r.returncode == 0, r.stdout + r.stderr
    assert "Passed" in r.stdout


def test_archc_fmt_hook(tmp_path: Path, hooks: dict) -> None:
    proj = project(tmp_path, hooks, {"unquoted.yaml": UNQUOTED, "good.yaml": GOOD, "workflow.yml": UNRELATED})
    r = pre_commit(proj, hooks, "archc-fmt", "--all-files")
    assert r.returncode == 1, r.stdout + r.stderr
    assert "files were modified by this hook" in r.stdout
    assert (proj / "unquoted.yaml").read_text(encoding="utf-8") == UNQUOTED.replace("${2 * n}", '"${2 * n}"')
    assert (proj / "good.yaml").read_text(encoding="utf-8") == GOOD
    assert (proj / "workflow.yml").read_text(encoding="utf-8") == UNRELATED
    r = pre_commit(proj, hooks, "archc-fmt", "--all-files")  # formatted: nothing left to change
    assert r.returncode == 0, r.stdout + r.stderr
