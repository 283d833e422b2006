"""Time and peak memory of `archc validate` on hostile inputs, one fresh process each.

Each case is a class of input that once hung, crashed or exhausted memory; each must now finish with a clean
diagnostic in well under 2 s and 100 MB. Run: .venv/bin/python benchmarks/bench_hostile.py
"""

from __future__ import annotations

import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HEAD = "archspec: 1\nmodel:\n  inputs: {x: {shape: [4]}}\n  layers:\n"


def _many_params(params: int, calls: int) -> str:
    decls = "\n".join(f"      p{i}: {{type: int, default: {i}}}" for i in range(params))
    return (f"archspec: 1\nblocks:\n  b:\n    params:\n{decls}\n    layers:\n      - Dense: {{units: 2}}\n"
            f"model:\n  inputs: {{x: {{shape: [4]}}}}\n  layers:\n    - repeat: {calls}\n      layers:\n"
            f"        - b: {{p1: 3}}\n")


CASES: dict[str, str] = {
    "round() with huge digits": HEAD + '    - Dense: {units: "${round(12345, -100000000)}"}\n',
    "str() of a huge nested list": HEAD + '    - Dense: {units: "${len(str([range(100000)] * 100000))}"}\n',
    "costly if in a 50,000-step loop": HEAD + ("    - repeat: 50000\n      layers:\n"
                                               '        - if: "${range(100000) == range(100000)}"\n'
                                               "          layers: [Flatten]\n    - Dense: 2\n"),
    "10,000 block parameters x 200 calls": _many_params(10_000, 200),
    "281 trillion parameters": HEAD + "    - Dense: 16777216\n    - Dense: 16777216\n",
    "empty range(0, 10**12, -1)": HEAD + '    - repeat: "${len(range(0, 10**12, -1))}"\n      layers: [Flatten]\n'
                                         "    - Dense: 2\n",
    "alias bomb": "a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n" + "".join(
        f"a{i}: &a{i} [" + ", ".join([f"*a{i - 1}"] * 10) + "]\n" for i in range(1, 9)),
    "100,000 nested brackets": "archspec: 1\nmodel: " + "[" * 100_000 + "]" * 100_000 + "\n",
}
SPECIAL = {"a FIFO": "fifo", "/dev/zero": "/dev/zero"}


def run(path: str) -> tuple[float, float, int, str]:
    before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    t0 = time.perf_counter()
    r = subprocess.run([sys.executable, "-m", "archcompiler.cli", "validate", "-q", path], capture_output=True,
                       text=True, timeout=120)
    dt = time.perf_counter() - t0
    peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss  # the largest child so far, in KiB
    codes = sorted({w[6:10] for w in r.stderr.split() if w.startswith("error[")})
    return dt, max(peak, before) / 1024, r.returncode, ",".join(codes)


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        rows = []
        base = run(str(Path(__file__).resolve().parents[1] / "specs" / "happy_model.yaml"))
        rows.append(("a valid spec (for scale)", base))
        for name, text in CASES.items():
            path = Path(tmp) / f"case{len(rows)}.yaml"
            path.write_text(text, encoding="utf-8")
            rows.append((name, run(str(path))))
        for name, what in SPECIAL.items():
            path = what
            if what == "fifo":
                path = str(Path(tmp) / "f.yaml")
                os.mkfifo(path)
            rows.append((name, run(path)))
    print("| input | time (s) | peak memory of the largest process so far (MB) | exit | codes |")
    print("|---|--:|--:|--:|---|")
    for name, (dt, mb, code, codes) in rows:
        print(f"| {name} | {dt:.2f} | {mb:.0f} | {code} | {codes} |")


if __name__ == "__main__":
    main()
