"""How archc validate runs: exit codes that survive a closed standard output, worker processes that change nothing
in the output, the progress line on terminals only, and NO_COLOR / FORCE_COLOR."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

import archcompiler.cli as cli
from archcompiler.cli import main
from helpers import ROOT

BAD = ("archspec: 1\nmodel:\n  inputs: {x: {shape: [4]}}\n  layers:\n    - Dense: {units: 0}\n"
       "    - Dense: {units: -1, activation: nope}\n")
ARCHC = [sys.executable, "-m", "archcompiler.cli"]


def run(capsys: pytest.CaptureFixture, *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture(scope="module")
def many_bad(tmp_path_factory: pytest.TempPathFactory) -> list[str]:
    """300 specs with three errors each: far more output than a pipe holds."""
    d = tmp_path_factory.mktemp("bad")
    for i in range(300):
        (d / f"bad{i:03}.yaml").write_text(BAD, encoding="utf-8")
    return sorted(str(p) for p in d.iterdir())


@pytest.fixture(scope="module")
def mixed(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A directory of valid and invalid specs, a library, and a file that is not a spec."""
    d = tmp_path_factory.mktemp("mixed")
    shutil.copytree(ROOT / "specs", d / "specs")
    for i in range(6):
        (d / "specs" / f"bad{i}.yaml").write_text(BAD.replace("units: 0", f"units: {-i}"), encoding="utf-8")
    (d / "specs" / "config.yaml").write_text("name: ci\n", encoding="utf-8")
    return d


# ---------------------------------------------------------------------------------------------------------------
# a closed standard output
# ---------------------------------------------------------------------------------------------------------------

def pipeline(command: str, cwd: Path = ROOT) -> subprocess.CompletedProcess:
    return subprocess.run(["bash", "-o", "pipefail", "-c", command], cwd=cwd, capture_output=True, text=True,
                          timeout=300)


def archc_line(*args: str) -> str:
    return " ".join(f"'{a}'" for a in [*ARCHC, *args])


@pytest.mark.parametrize("fmt, redirect", [("github", ""), ("json", ""), ("sarif", ""), ("text", "2>&1")])
def test_findings_survive_a_closed_pipe(many_bad, fmt, redirect) -> None:
    r = pipeline(f"{archc_line('validate', '--format', fmt, *many_bad)} {redirect} | head -0")
    assert r.returncode == 1, r.stderr[-2000:]
    assert "Traceback" not in r.stderr and "Exception ignored" not in r.stderr and "BrokenPipe" not in r.stderr


@pytest.mark.parametrize("fmt, redirect", [("github", ""), ("text", ""), ("text", "2>&1")])
def test_a_clean_run_stays_clean_through_a_closed_pipe(fmt, redirect) -> None:
    specs = sorted(str(p) for p in (ROOT / "specs").rglob("*.yaml"))
    r = pipeline(f"{archc_line('validate', '--format', fmt, *specs)} {redirect} | head -0")
    assert r.returncode == 0, r.stderr[-2000:]
    assert r.stderr == ""


def test_the_first_annotation_still_reaches_the_reader(many_bad) -> None:
    r = pipeline(f"{archc_line('validate', '--format', 'github', *many_bad)} | head -1")
    assert r.returncode == 1
    assert r.stdout.startswith("::error file=") and r.stdout.count("\n") == 1 and r.stderr == ""


@pytest.mark.parametrize("argv, code", [
    (["layers"], 0), (["summary", "specs/keras_applications/resnet152.yaml", "--depth", "all"], 0),
    (["--help"], 0), (["summary", "no/such.yaml"], 2),
])
def test_every_command_keeps_its_exit_code_through_a_closed_pipe(argv, code) -> None:
    r = pipeline(f"{archc_line(*argv)} 2>&1 | head -0")
    assert r.returncode == code


# ---------------------------------------------------------------------------------------------------------------
# --jobs
# ---------------------------------------------------------------------------------------------------------------

def without_timing(text: str) -> str:
    text = re.sub(r'"milliseconds": [0-9.]+', '"milliseconds": 0', text)
    return re.sub(r"\(\d+ ms\)", "(0 ms)", text)


@pytest.mark.parametrize("fmt", ["text", "json", "github", "sarif"])
def test_jobs_change_nothing_in_the_output(capsys, monkeypatch, mixed, fmt) -> None:
    monkeypatch.chdir(mixed)
    one = run(capsys, "validate", "--format", fmt, "--jobs", "1", "specs")
    two = run(capsys, "validate", "--format", fmt, "--jobs", "2", "specs")
    three = run(capsys, "validate", "--format", fmt, "-j", "3", "specs", "specs/bad0.yaml")
    assert one[0] == two[0] == three[0] == 1
    assert [without_timing(x) for x in one[1:]] == [without_timing(x) for x in two[1:]] \
        == [without_timing(x) for x in three[1:]]
    assert "bad5.yaml" in one[1] + one[2]


def test_jobs_use_worker_processes_and_one_file_does_not(capsys, monkeypatch, mixed) -> None:
    import multiprocessing
    contexts: list[str | None] = []
    real = multiprocessing.get_context

    def spy(method=None):
        contexts.append(method)
        return real(method)
    monkeypatch.setattr(multiprocessing, "get_context", spy)
    monkeypatch.chdir(mixed)
    assert run(capsys, "validate", "-j", "2", "specs/resnet18.yaml")[0] == 0
    assert run(capsys, "validate", "-j", "2", *[f"specs/vgg{n}.yaml" for n in (16, 19)])[0] == 0
    assert contexts == []  # a file or two: validated in this process
    assert run(capsys, "validate", "-j", "1", "specs")[0] == 1
    assert contexts == []
    assert run(capsys, "validate", "-j", "2", "specs")[0] == 1
    assert len(contexts) == 1


def test_jobs_default_to_the_cpu_count(monkeypatch) -> None:
    seen = []
    monkeypatch.setattr(cli, "_validate_all", lambda tasks, jobs: seen.append(jobs) or iter(()))
    main(["validate", "-q", "specs/resnet18.yaml"])
    assert seen == [cli.default_jobs()] and seen[0] >= 1


@pytest.mark.parametrize("bad", ["0", "-1", "two"])
def test_jobs_must_be_positive(capsys, bad) -> None:
    with pytest.raises(SystemExit) as info:
        main(["validate", "--jobs", bad, "x.yaml"])
    assert info.value.code == 2 and "expected a positive integer" in capsys.readouterr().err


# ---------------------------------------------------------------------------------------------------------------
# the progress line and colour
# ---------------------------------------------------------------------------------------------------------------

def run_with_tty_stderr(argv: list[str], cwd: Path, env: dict | None = None) -> tuple[int, bytes, bytes]:
    """Runs archc with standard error on a pseudo-terminal (standard output on a pipe)."""
    import pty
    master, slave = pty.openpty()
    try:
        p = subprocess.Popen([*ARCHC, *argv], cwd=cwd, stdout=subprocess.PIPE, stderr=slave,
                             env={**os.environ, **(env or {})})
        os.close(slave)
        chunks = []
        while True:
            try:
                data = os.read(master, 65536)
            except OSError:  # the other side closed
                break
            if not data:
                break
            chunks.append(data)
        out = p.stdout.read()
        p.wait(timeout=120)
        return p.returncode, out, b"".join(chunks)
    finally:
        os.close(master)


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="pseudo-terminals as on Linux")
def test_progress_line_on_a_terminal(mixed) -> None:
    env = {"NO_COLOR": "1", "FORCE_COLOR": ""}
    code, out, err = run_with_tty_stderr(["validate", "-q", "specs"], mixed, env)
    assert code == 1
    n = len([p for p in (mixed / "specs").rglob("*") if p.suffix in (".yaml", ".json")])
    assert re.search(rb"\rvalidating \d+/%d files" % n, err), err[-500:]
    assert err.endswith(b" " * len(f"validating {n}/{n} files") + b"\r") and out == b""  # cleared at the end
    # cleared before every other line, and at the end: no progress text is left on an output line
    for line in err.replace(b"\r\n", b"\n").split(b"\n"):
        assert b"validating" not in line.split(b"\r")[-1], line


def test_no_progress_line_when_stderr_is_not_a_terminal(mixed) -> None:
    r = subprocess.run([*ARCHC, "validate", "specs"], cwd=mixed, capture_output=True, text=True)
    assert r.returncode == 1 and "validating" not in r.stderr and "\r" not in r.stderr + r.stdout


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="pseudo-terminals as on Linux")
def test_no_progress_line_for_a_few_files(mixed) -> None:
    code, _, err = run_with_tty_stderr(["validate", "specs/resnet18.yaml", "specs/bad0.yaml"], mixed,
                                       {"NO_COLOR": "1"})
    assert code == 1 and b"validating" not in err


ERROR_RED = "\033[1;31merror\033[0m"


@pytest.mark.parametrize("env, colour", [
    ({}, False), ({"FORCE_COLOR": "1"}, True), ({"FORCE_COLOR": "1", "NO_COLOR": "1"}, False),
    ({"NO_COLOR": ""}, False), ({"FORCE_COLOR": ""}, False),
])
def test_colour_follows_no_color_and_force_color(capsys, monkeypatch, mixed, env, colour) -> None:
    for k in ("NO_COLOR", "FORCE_COLOR"):
        monkeypatch.delenv(k, raising=False)
    for k, v in env.items():
        monkeypatch.setenv(k, v)
    monkeypatch.chdir(mixed)
    code, out, err = run(capsys, "validate", "specs/bad0.yaml")  # the validate reporter
    assert code == 1 and (ERROR_RED in err) == colour and "\033" not in out
    code, _, err = run(capsys, "summary", "specs/bad0.yaml")  # any other command's errors
    assert code == 1 and (ERROR_RED in err) == colour


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="pseudo-terminals as on Linux")
def test_colour_on_a_terminal_unless_no_color(mixed) -> None:
    _, _, err = run_with_tty_stderr(["validate", "specs/bad0.yaml"], mixed, {"NO_COLOR": "", "FORCE_COLOR": ""})
    assert ERROR_RED.encode() in err
    _, _, err = run_with_tty_stderr(["validate", "specs/bad0.yaml"], mixed, {"NO_COLOR": "1"})
    assert b"\033" not in err
