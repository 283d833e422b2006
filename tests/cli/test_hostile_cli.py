"""The command line under hostile conditions: specs on standard input, size ceilings, a full disk, SIGTERM."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from helpers import ROOT, stalled_writer

ENV = {**os.environ, "PYTHONPATH": str(ROOT)}
HUGE = (ROOT / "tests" / "golden" / "errors" / "E410_size_ceiling.yaml").read_text(encoding="utf-8")


def archc(*args: str, stdin: str | None = None, stdout=subprocess.PIPE, cwd: Path = ROOT) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "archcompiler.cli", *args], input=stdin, stdout=stdout,
                          stderr=subprocess.PIPE, text=True, cwd=cwd, env=ENV, timeout=120)


def test_validate_reads_a_spec_from_standard_input() -> None:
    r = archc("validate", "-", stdin=(ROOT / "specs" / "happy_model.yaml").read_text(encoding="utf-8"))
    assert r.returncode == 0 and r.stdout.startswith("ok  <stdin>: 8 layers, 37,633 params")
    r = archc("validate", "--stdin-name", "pr/net.yaml", "--format", "github", "-", stdin=HUGE)
    assert r.returncode == 1 and "file=pr/net.yaml,line=7,col=7" in r.stdout and "E410" in r.stdout
    # includes resolve against the working directory, inside its tree
    r = archc("validate", "-", stdin="archspec: 1\nextends: resnet18.yaml\n", cwd=ROOT / "specs")
    assert r.returncode == 0, r.stderr
    r = archc("validate", "-", stdin="archspec: 1\nextends: ../README.md\n", cwd=ROOT / "specs")
    assert r.returncode == 1 and "E210" in r.stderr


def test_dev_stdin_is_refused_with_a_pointer_to_dash() -> None:
    r = archc("validate", "/dev/stdin", stdin="archspec: 1\n")
    assert r.returncode == 2 and "not a regular file" in r.stderr and "name it '-'" in r.stderr


def test_the_ceilings_can_be_raised_on_the_command_line(tmp_path: Path) -> None:
    spec = tmp_path / "huge.yaml"
    spec.write_text(HUGE, encoding="utf-8")
    for command in (["validate"], ["summary", "--format", "json"], ["ir"]):
        r = archc(*command, str(spec))
        assert r.returncode == 1 and "E410" in r.stderr, command
        r = archc(*command, "--max-params", "1e15", str(spec))
        assert r.returncode == 0, (command, r.stderr)
    r = archc("validate", "--max-activations", "2", "specs/happy_model.yaml")
    assert r.returncode == 1 and "values per sample" in r.stderr
    r = archc("validate", "--max-params", "0", "specs/happy_model.yaml")
    assert r.returncode == 2 and "expected a positive integer" in r.stderr


@pytest.mark.skipif(not os.path.exists("/dev/full"), reason="no /dev/full")
@pytest.mark.parametrize("args", [["summary", "specs/resnet50_signs.yaml", "--depth", "all"],
                                  ["validate", "specs"], ["ir", "specs/squeezenet.yaml"],
                                  ["render", "specs/happy_model.yaml", "-f", "dot", "-o", "-"],
                                  ["validate", "--format", "sarif", "tests/golden/errors"]])
def test_a_full_disk_on_standard_output_is_exit_2(args: list[str]) -> None:
    with open("/dev/full", "w") as full:
        r = archc(*args, stdout=full)
    assert r.returncode == 2, r.stderr
    assert "cannot write to standard output: No space left on device" in r.stderr
    assert "Traceback" not in r.stderr


def test_sigterm_ends_a_run_cleanly_and_leaves_no_temporary_file(tmp_path: Path) -> None:
    out = tmp_path / "summary.txt"
    script = stalled_writer('print("writing", flush=True); time.sleep(60)') + textwrap.dedent(f"""
        from archcompiler import cli
        sys.exit(cli.main(["summary", {str(ROOT / "specs" / "happy_model.yaml")!r}, "-o", {str(out)!r}]))
    """)
    p = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                         env=ENV)
    assert p.stdout.readline().strip() == "writing"
    assert [n for n in os.listdir(tmp_path) if n.endswith(".archc-tmp")]  # the temporary exists now
    p.send_signal(signal.SIGTERM)
    _, err = p.communicate(timeout=60)
    assert p.returncode == 143 and "archc: terminated" in err and "Traceback" not in err
    assert os.listdir(tmp_path) == []


def test_sigterm_during_a_parallel_validate_is_clean(tmp_path: Path) -> None:
    for i in range(400):
        (tmp_path / f"s{i}.yaml").write_text((ROOT / "specs" / "vgg16.yaml").read_text(encoding="utf-8"),
                                             encoding="utf-8")
    p = subprocess.Popen([sys.executable, "-m", "archcompiler.cli", "validate", "--jobs", "2", str(tmp_path)],
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=ENV)
    children = Path(f"/proc/{p.pid}/task/{p.pid}/children")
    deadline = time.monotonic() + 30
    while p.poll() is None and time.monotonic() < deadline:  # until the worker pool runs
        if children.exists() and children.read_text().split():
            break
        time.sleep(0.01)
    p.send_signal(signal.SIGTERM)
    _, err = p.communicate(timeout=60)
    assert p.returncode in (0, 143) and "Traceback" not in err, err[-3000:]
