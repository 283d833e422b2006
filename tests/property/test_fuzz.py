"""The contract on hostile input, by mutation fuzzing: whatever the bytes, tokens or structure of a spec, archc
fails only with CompileError (and the command line exits 0, 1 or 2 with a diagnostic), never with a traceback, a
hang or an unbounded allocation.

Every bundled spec is mutated at three levels: bytes (insertions of awkward bytes, deletions, duplications),
YAML tokens (brackets, quotes, anchors, tags, expressions, huge numbers put in, taken out or swapped) and structure
(subtrees replaced, deleted or duplicated). ``make test`` runs a bounded number of examples; ``make fuzz`` runs many
more (``ARCHC_FUZZ_EXAMPLES``, default 100 per test here).
"""

from __future__ import annotations

import contextlib
import copy
import io
import json
import os
import re
import shutil
import time
from pathlib import Path

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from archcompiler import CompileError, load
from archcompiler.cli import main

from helpers import tree_paths

ROOT = Path(__file__).resolve().parents[2]
SPECS = sorted(str(p.relative_to(ROOT / "specs")) for p in (ROOT / "specs").rglob("*")
               if p.suffix in (".yaml", ".yml", ".json"))
EXAMPLES = int(os.environ.get("ARCHC_FUZZ_EXAMPLES", "100"))
FUZZ = settings(max_examples=EXAMPLES, deadline=None, derandomize=EXAMPLES <= 100,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture,
                                       HealthCheck.data_too_large])
#: Longest any one example may take: a hang guard, far above what a valid spec needs (milliseconds).
SECONDS = 20

TOKEN = re.compile(r"""\$\{[^}\n]*\}?|"(?:[^"\\\n]|\\.)*"?|'[^'\n]*'?|[A-Za-z_][\w.]*|[-+]?\d+(?:\.\d*)?(?:e[-+]?\d+)?
                      |\n[ ]*|[ \t]+|.""", re.X)
AWKWARD_TOKENS = ["${", "}", "{", "[", "]", ",", ":", ": ", "- ", "#", "&a ", "*a", "!!python/object:os.system ",
                  "<<: ", "? ", "|", ">", "---\n", "...\n", "'", '"', "\t", "\n  ", "\n", "$$", "$", "~", "null",
                  "1e999", "-0", ".nan", "0x7fffffffffffffffffff", "9" * 40, "${range(100000)}", "${'a' * 99999}",
                  "${round(1, -99999999)}", "${" + "(" * 200 + "1" + ")" * 200 + "}", "inputs", "id", "repeat",
                  "for", "if", "layers", "blocks", "imports", "extends", "../../../etc/passwd", "/dev/zero",
                  "Dense", "Conv2D", "16777216", "\ufeff", "\x00", "\ud800", "é"]
AWKWARD_BYTES = [b"\x00", b"\xff", b"\xfe\xff", b"\xc3", b"\xed\xa0\x80", b"\r", b"\r\n", b"\t", b"\x1b[31m", b"\\",
                 b"\xef\xbb\xbf", b"{", b"}", b"[", b"]", b":", b"&", b"*", b"!", b"%", b"@", b"`"]
GARBAGE = (st.none() | st.booleans() | st.integers(-2**70, 2**70) | st.floats(allow_nan=True, allow_infinity=True)
           | st.sampled_from(AWKWARD_TOKENS) | st.text(max_size=20)
           | st.lists(st.integers(-3, 10**9), max_size=5)
           | st.dictionaries(st.sampled_from(["units", "filters", "id", "inputs", "name", "repeat", "layers", "for",
                                              "in", "if", "else", "shape", "type", "default", "from", "blocks"]),
                             st.integers(-1, 9) | st.text(max_size=5), max_size=3))


@pytest.fixture(scope="module")
def tree(tmp_path_factory) -> Path:
    """A copy of specs/ in which mutated files are written beside the originals (so their includes resolve)."""
    root = tmp_path_factory.mktemp("fuzz") / "specs"
    shutil.copytree(ROOT / "specs", root)
    return root


def _check(tree: Path, rel: str, data: bytes) -> None:
    """Writes ``data`` beside the spec ``rel`` and holds the contract on it, through the API and the CLI."""
    src = tree / rel
    target = src.with_name("_fuzz_" + src.name)
    target.write_bytes(data)
    t0 = time.process_time()
    try:
        load(target)
    except CompileError as e:
        assert e.diagnostics and all(d.code and d.span is not None for d in e.diagnostics)
        e.render()
        json.dumps([d.as_dict() for d in e.diagnostics])
    for fmt in ("text", "json", "github", "sarif"):
        out, err = io.StringIO(), io.StringIO()
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            code = main(["validate", "--jobs", "1", "--format", fmt, str(target)])
        assert code in (0, 1, 2), f"exit {code} for --format {fmt}:\n{err.getvalue()[-2000:]}"
        assert "Traceback" not in err.getvalue() and "internal error" not in err.getvalue()
        if fmt in ("json", "sarif"):
            json.loads(out.getvalue())
        if code == 0:
            break  # a valid mutant: once is enough
    assert time.process_time() - t0 < SECONDS


@FUZZ
@given(data=st.data())
def test_byte_mutations(tree: Path, data) -> None:
    rel = data.draw(st.sampled_from(SPECS), label="spec")
    raw = bytearray((ROOT / "specs" / rel).read_bytes())
    for _ in range(data.draw(st.integers(1, 6), label="edits")):
        at = data.draw(st.integers(0, len(raw)), label="at")
        kind = data.draw(st.sampled_from(["insert", "delete", "replace", "duplicate", "truncate"]), label="kind")
        if kind == "insert":
            raw[at:at] = data.draw(st.sampled_from(AWKWARD_BYTES) | st.binary(min_size=1, max_size=4))
        elif kind == "delete":
            del raw[at:at + data.draw(st.integers(1, 40))]
        elif kind == "replace" and at < len(raw):
            raw[at] = data.draw(st.integers(0, 255))
        elif kind == "duplicate":
            n = data.draw(st.integers(1, 200))
            raw[at:at] = raw[at:at + n] * data.draw(st.integers(1, 3))
        elif kind == "truncate":
            del raw[at:]
    _check(tree, rel, bytes(raw))


@FUZZ
@given(data=st.data())
def test_token_mutations(tree: Path, data) -> None:
    rel = data.draw(st.sampled_from(SPECS), label="spec")
    toks = TOKEN.findall((ROOT / "specs" / rel).read_text(encoding="utf-8"))
    for _ in range(data.draw(st.integers(1, 5), label="edits")):
        i = data.draw(st.integers(0, max(0, len(toks) - 1)), label="token")
        kind = data.draw(st.sampled_from(["put", "drop", "swap", "repeat", "copy"]), label="kind")
        if kind == "put":
            toks.insert(i, data.draw(st.sampled_from(AWKWARD_TOKENS)))
        elif kind == "drop" and toks:
            del toks[i]
        elif kind == "swap" and toks:
            j = data.draw(st.integers(0, len(toks) - 1))
            toks[i], toks[j] = toks[j], toks[i]
        elif kind == "repeat" and toks:
            toks[i:i] = [toks[i]] * data.draw(st.integers(1, 50))
        elif kind == "copy" and toks:
            toks.insert(i, data.draw(st.sampled_from(toks)))
    _check(tree, rel, "".join(toks).encode("utf-8", "surrogatepass"))


@FUZZ
@given(data=st.data())
def test_structure_mutations(tree: Path, data) -> None:
    rel = data.draw(st.sampled_from(SPECS), label="spec")
    spec = yaml.safe_load((ROOT / "specs" / rel).read_text(encoding="utf-8"))
    for _ in range(data.draw(st.integers(1, 4), label="edits")):
        paths = list(tree_paths(spec))
        if not paths:
            break
        path = data.draw(st.sampled_from(paths), label="path")
        spec = copy.deepcopy(spec)
        node = spec
        for step in path[:-1]:
            node = node[step]
        kind = data.draw(st.sampled_from(["replace", "delete", "duplicate", "rename"]), label="kind")
        last = path[-1]
        if kind == "replace":
            node[last] = data.draw(GARBAGE)
        elif kind == "delete":
            del node[last]
        elif kind == "duplicate" and isinstance(node, list):
            node[last:last] = [copy.deepcopy(node[last])] * data.draw(st.integers(1, 30))
        elif kind == "rename" and isinstance(node, dict):
            node[data.draw(st.sampled_from(AWKWARD_TOKENS[20:]) | st.text(max_size=8))] = node.pop(last)
    as_json = data.draw(st.booleans(), label="json")
    text = json.dumps(spec, allow_nan=True) if as_json else yaml.safe_dump(spec, sort_keys=False, allow_unicode=True)
    _check(tree, rel, text.encode("utf-8", "surrogatepass"))
