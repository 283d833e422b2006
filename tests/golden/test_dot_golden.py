"""Golden DOT text of the diagrams (ARCHC_UPDATE_GOLDEN=1 rewrites them), its determinism, and the documentation
images being current. DOT is archc's own output, so it is compared byte for byte; rendered SVG depends on the
Graphviz version and the fonts, so only its structure is checked against the committed DOT."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from functools import lru_cache

import pytest

import archcompiler
from archcompiler.backends.dot import plan, to_dot
from helpers import ROOT, check_golden, svg_nodes
from specs_table import REFERENCE

GOLDEN = ROOT / "tests" / "golden" / "dot"
SPECS = [s for s in sorted(REFERENCE) if s.endswith(".yaml")]

#: Diagrams beyond the block level of every spec: (spec, options, variant name in the file name).
VARIANTS = [
    ("specs/resnet50_signs.yaml", {"level": "layer"}, "layer"),
    ("specs/resnet50_signs.yaml", {"level": "layer", "rankdir": "LR"}, "layer-LR"),
    ("specs/squeezenet.yaml", {"level": "layer"}, "layer"),
    ("specs/resnet18.yaml", {"level": "layer"}, "layer"),
    ("specs/resnet18.yaml", {"level": "layer", "depth": 1}, "layer-depth1"),
    ("specs/resnet18.yaml", {"depth": 2}, "block-depth2"),
    ("specs/resnet34.yaml", {"depth": "all", "fold": True}, "block-all-fold"),
    ("specs/keras_applications/resnet152.yaml", {"fold": True}, "block-fold"),
    ("specs/squeezenet.yaml", {"depth": 2, "rankdir": "LR"}, "block-depth2-LR"),
]


def _stem(spec: str) -> str:
    return spec.removeprefix("specs/").removesuffix(".yaml").replace("/", "__")


@lru_cache(maxsize=None)
def _compiled(spec: str) -> archcompiler.Compilation:
    return archcompiler.load(ROOT / spec)


@pytest.mark.parametrize("spec", SPECS)
def test_block_level_golden(spec: str) -> None:
    check_golden(GOLDEN / f"{_stem(spec)}.block.dot", to_dot(_compiled(spec)))


@pytest.mark.parametrize("spec,options,variant", VARIANTS, ids=[f"{_stem(s)}-{v}" for s, _, v in VARIANTS])
def test_variant_golden(spec: str, options: dict, variant: str) -> None:
    check_golden(GOLDEN / f"{_stem(spec)}.{variant}.dot", to_dot(_compiled(spec), **options))


def test_no_stale_golden_files() -> None:
    wanted = {f"{_stem(s)}.block.dot" for s in SPECS} | {f"{_stem(s)}.{v}.dot" for s, _, v in VARIANTS}
    stale = sorted(p.name for p in GOLDEN.glob("*.dot") if p.name not in wanted)
    assert not stale, f"golden files no test writes any more: {stale}"


_PROGRAM = """
import sys
import archcompiler
from archcompiler.backends.dot import to_dot
comp = archcompiler.load(sys.argv[1])
sys.stdout.write(to_dot(comp, level=sys.argv[2], fold=sys.argv[3] == "fold"))
"""


@pytest.mark.parametrize("spec,level,fold", [("specs/resnet50_signs.yaml", "layer", ""),
                                             ("specs/resnet34.yaml", "block", "fold")])
def test_deterministic_across_runs_and_hash_seeds(spec: str, level: str, fold: str) -> None:
    """Two runs in this process and two fresh interpreters with different hash seeds give the same bytes."""
    a = to_dot(archcompiler.load(ROOT / spec), level=level, fold=bool(fold))
    b = to_dot(archcompiler.load(ROOT / spec), level=level, fold=bool(fold))
    assert a == b
    for seed in ("1", "2"):
        env = {**os.environ, "PYTHONHASHSEED": seed}
        out = subprocess.run([sys.executable, "-c", _PROGRAM, str(ROOT / spec), level, fold], env=env,
                             capture_output=True, text=True, encoding="utf-8", check=True).stdout
        assert out == a, f"DOT differs with PYTHONHASHSEED={seed}"


def test_ids_are_quoted_and_escaped() -> None:
    """Every node and edge statement uses double-quoted ids; names with quotes or backslashes stay one id."""
    from archcompiler.backends.dot import quote
    assert quote('a"b') == '"a\\"b"'
    assert quote("a\\b") == '"a\\\\b"'
    text = to_dot(_compiled("specs/resnet18.yaml"), depth=2)
    for line in text.splitlines():
        s = line.strip()
        if "->" in s:
            assert re.fullmatch(r'"[^"]+" -> "[^"]+"( \[.*\])?;', s), s
        elif s.startswith('"'):
            assert re.match(r'"[^"]+" \[', s), s


# ---------------------------------------------------------------------------------------------------------------
# the diagrams embedded in docs/diagrams.md
# ---------------------------------------------------------------------------------------------------------------

DOC_IMAGES = {"resnet50_signs": "specs/resnet50_signs.yaml", "squeezenet": "specs/squeezenet.yaml"}
REGENERATE = "regenerate them with: make docs-img"


@pytest.mark.parametrize("stem", sorted(DOC_IMAGES))
def test_doc_image_dot_is_current(stem: str) -> None:
    """The committed DOT beside each documentation SVG is what archc writes today (byte for byte)."""
    path = ROOT / "docs" / "img" / f"{stem}.dot"
    assert path.exists(), f"missing {path}; {REGENERATE}"
    assert path.read_text(encoding="utf-8") == to_dot(_compiled(DOC_IMAGES[stem])), \
        f"{path} is out of date; {REGENERATE}"


@pytest.mark.parametrize("stem", sorted(DOC_IMAGES))
def test_doc_image_svg_matches_its_dot(stem: str) -> None:
    """The committed SVG was rendered from the current diagram: same boxes, same labels. (Its bytes depend on the
    Graphviz version and fonts, so they are not compared.)"""
    svg = ROOT / "docs" / "img" / f"{stem}.svg"
    assert svg.exists(), f"missing {svg}; {REGENERATE}"
    comp = _compiled(DOC_IMAGES[stem])
    view = plan(comp)
    nodes = svg_nodes(svg)
    assert sorted(nodes) == sorted(u.id for u in view.units), f"{svg} is out of date; {REGENERATE}"
    for u in view.boxes:
        text = " ".join(nodes[u.id])
        assert f"{u.counts.total:,} params" in text or u.counts.total == 0, f"{svg} is out of date; {REGENERATE}"
