"""Shared test helpers: the repository root, and golden files (ARCHC_UPDATE_GOLDEN=1 rewrites them)."""

from __future__ import annotations

import os
import textwrap
import xml.etree.ElementTree as ET
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
UPDATE_GOLDEN = os.environ.get("ARCHC_UPDATE_GOLDEN") == "1"


def check_golden(path: Path, actual: str) -> None:
    """Compares ``actual`` with the golden file at ``path``; with ARCHC_UPDATE_GOLDEN=1 rewrites it instead."""
    if UPDATE_GOLDEN:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(actual, encoding="utf-8")
        return
    assert path.exists(), f"missing golden file {path}; run with ARCHC_UPDATE_GOLDEN=1 to create it"
    expected = path.read_text(encoding="utf-8")
    assert actual == expected, (f"{path} differs; review the change and run with ARCHC_UPDATE_GOLDEN=1 to accept it")


def svg_nodes(path: Path) -> dict[str, list[str]]:
    """Node id -> the text lines of its label, from an SVG that Graphviz wrote."""
    ns = "{http://www.w3.org/2000/svg}"
    nodes: dict[str, list[str]] = {}
    for g in ET.parse(path).getroot().iter(f"{ns}g"):
        if g.get("class") == "node":
            title = g.find(f"{ns}title")
            assert title is not None and title.text
            nodes[title.text] = [t.text or "" for t in g.iter(f"{ns}text")]
    return nodes


def tree_paths(node, prefix: tuple = ()):
    """Every path into nested dicts and lists (keys and indexes), parents before children."""
    if isinstance(node, dict):
        for k, v in node.items():
            yield prefix + (k,)
            yield from tree_paths(v, prefix + (k,))
    elif isinstance(node, list):
        for i, v in enumerate(node):
            yield prefix + (i,)
            yield from tree_paths(v, prefix + (i,))


def stalled_writer(then: str) -> str:
    """Python source (for ``python -c``) that patches archc's atomic writer to write 10 bytes through a named
    temporary file and then run ``then`` (e.g. kill itself, or sleep): for tests of what interrupted writes leave."""
    return textwrap.dedent(f"""
        import os, signal, sys, time
        from archcompiler.backends import files
        real = files._write_all
        def stalled(fd, payload):
            real(fd, payload[:10])
            {then}
        files._write_unnamed = lambda *a: False  # the named temporary: the one that could be left behind
        files._write_all = stalled
    """)
