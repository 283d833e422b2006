"""A build killed outright (SIGKILL: no handler runs) leaves only temporaries that the next build removes."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from helpers import ROOT

pytestmark = pytest.mark.keras


def test_a_killed_build_leaves_nothing_the_next_build_keeps(tmp_path: Path) -> None:
    out = tmp_path / "out"
    spec = ROOT / "specs" / "happy_model.yaml"
    script = textwrap.dedent(f"""
        import os, signal, sys
        from archcompiler.backends import keras as kb
        real = kb.save_model
        def killed(model, path):
            real(model, path)            # the staged .keras is complete, nothing is renamed yet
            os.kill(os.getpid(), signal.SIGKILL)
        kb.save_model = killed
        from archcompiler import cli
        sys.exit(cli.main(["build", {str(spec)!r}, "-o", {str(out)!r}, "--no-diagram"]))
    """)
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    r = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, env=env, timeout=300)
    assert r.returncode == -signal.SIGKILL, r.stderr[-2000:]
    left = sorted(p.name for p in out.iterdir())
    assert left and all(".archc-tmp" in n for n in left), left  # only staged files, no final output
    r = subprocess.run([sys.executable, "-m", "archcompiler.cli", "build", str(spec), "-o", str(out),
                        "--no-diagram"], capture_output=True, text=True, env=env, timeout=300)
    assert r.returncode == 0, r.stderr[-2000:]
    assert sorted(p.name for p in out.iterdir()) == ["happy_model.keras", "happy_model.summary.json",
                                                     "happy_model.summary.txt"]
