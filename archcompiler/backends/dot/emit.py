"""The DOT text of a diagram: :func:`to_dot` writes the planned view (boxes, clusters, columns, edges) as Graphviz
DOT, with deterministic ids and order (node ids are IR layer names and block scopes, the order follows the graph,
nothing depends on hashing or object identity)."""

from __future__ import annotations

from typing import Any, Optional

from .labels import (
    Html, cluster_label, family, html_label, label_rows, output_label, stub_label, title, tooltip,
)
from .layout import item_key, plan
from .style import BLOCK_COLORS, CLUSTER_FILLS, CONTINUE_COLOR, EDGE_COLOR, FAMILIES, FONT, SKIP_COLOR
from .view import Cluster, Depth, Unit, View

RANKDIRS = ("TB", "LR")


def quote(text: str) -> str:
    """A DOT double-quoted string (ids, plain attributes)."""
    return '"' + str(text).replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n") + '"'


def _attrs(**kv: Any) -> str:
    parts = []
    for k, v in kv.items():
        if v is None:
            continue
        if isinstance(v, Html):
            parts.append(f"{k}={v}")
        else:
            parts.append(f"{k}={quote(str(v))}")
    return "[" + ", ".join(parts) + "]"


def to_dot(comp: Any, level: str = "block", depth: Depth = None, fold: bool = False, rankdir: str = "TB",
           columns: Optional[int] = None) -> str:
    """The diagram of a compiled spec as DOT text.

    Args:
        comp: a :class:`~archcompiler.pipeline.Compilation`.
        level: ``block`` (one box per block instance) or ``layer`` (one box per layer, blocks as clusters).
        depth: block levels to open: a positive integer, ``"all"``, or None for the level's default (block: 1,
            layer: all).
        fold: draw chained instances of one block with the same output shape and counts as one ``xN`` box.
        rankdir: ``TB`` (top to bottom) or ``LR`` (left to right).
        columns: number of columns of the wrapped layout (1: one column); None chooses it from the size.
    """
    if rankdir not in RANKDIRS:
        raise ValueError(f"rankdir must be TB or LR. Received: {rankdir!r}")
    view = plan(comp, level, depth, fold, rankdir, columns)
    return _emit(comp, view, rankdir)


def _emit(comp: Any, view: View, rankdir: str) -> str:
    graph = comp.graph
    block_colors: dict[str, tuple[str, str]] = {}
    for u in view.units:
        if u.kind in ("block", "fold") and u.blocks[0].block not in block_colors:
            block_colors[u.blocks[0].block] = BLOCK_COLORS[len(block_colors) % len(BLOCK_COLORS)]
    fams = {family(u.layer) for u in view.units if u.kind == "layer" and u.layer is not None}
    families = [f for f in FAMILIES if f in fams]

    out = [f"digraph {quote(graph.name)} {{"]
    gattrs = dict(rankdir=rankdir, newrank="true", fontname=FONT, labelloc="t", labeljust="c",
                  nodesep="0.25" if view.level == "layer" else "0.35",
                  ranksep="0.3" if view.level == "layer" else "0.35",
                  bgcolor="white", pad="0.3", outputorder="edgesfirst")
    out.append("  graph " + _attrs(**gattrs) + ";")
    out.append("  graph [label=" + title(comp, view, block_colors, families) + "];")
    out.append("  node " + _attrs(shape="box", style="rounded,filled", fontname=FONT, fontsize="12",
                                   margin="0.08,0.04", penwidth="1") + ";")
    out.append("  edge " + _attrs(color=EDGE_COLOR, arrowsize="0.7", penwidth="1.1") + ";")

    children: dict[tuple[str, ...], list[tuple[int, int, Any]]] = {}
    for u in view.units:
        children.setdefault(u.parent, []).append((u.first, 1, u))
    for scope, c in view.clusters.items():
        children.setdefault(scope[:-1], []).append((c.first, 0, c))
    for lst in children.values():
        lst.sort(key=lambda t: (t[0], t[1], t[2].id))

    on_spine = set(view.spine)

    def emit_unit(u: Unit, indent: str) -> None:
        group = "spine" if u.id in on_spine else None
        if u.kind == "output":
            out.append(f"{indent}{quote(u.id)} " + _attrs(label=output_label(u, comp), shape="box",
                                                            style="rounded,filled", fillcolor="#444444",
                                                            fontcolor="white", color="#444444",
                                                            tooltip=tooltip(u, comp, view)) + ";")
            return
        if u.kind == "stub":
            out.append(f"{indent}{quote(u.id)} " + _attrs(label=stub_label(u, comp, view), shape="box",
                                                            style="rounded,dashed,filled", fillcolor="white",
                                                            color=CONTINUE_COLOR, margin="0.06,0.03",
                                                            tooltip=tooltip(u, comp, view)) + ";")
            return
        rows = label_rows(u, comp, view)
        if u.kind == "layer":
            assert u.layer is not None
            _, fill, line = FAMILIES[family(u.layer)]
            big = u.counts.total > 0 or family(u.layer) == "input"
            out.append(f"{indent}{quote(u.id)} " + _attrs(
                label=html_label(rows, "normal" if big else "small"), fillcolor=fill, color=line, group=group,
                tooltip=tooltip(u, comp, view)) + ";")
            return
        fill, line = block_colors[u.blocks[0].block]
        out.append(f"{indent}{quote(u.id)} " + _attrs(
            label=html_label(rows, "normal"), fillcolor=fill, color=line, penwidth="2",
            peripheries="2" if u.kind == "fold" else None, group=group, tooltip=tooltip(u, comp, view)) + ";")

    def emit_cluster(c: Cluster, indent: str) -> None:
        b = c.block
        lvl = len(b.scope) - 1
        out.append(f"{indent}subgraph {quote(c.id)} {{")
        out.append(f"{indent}  graph " + _attrs(label=cluster_label(comp, c), style="rounded,filled",
                                                fillcolor=CLUSTER_FILLS[lvl % len(CLUSTER_FILLS)], color="#8c9bb0",
                                                fontname=FONT, fontsize="12", labeljust="l", margin="10",
                                                tooltip=f"{'/'.join(b.scope)} ({b.block})") + ";")
        for _, _, item in children.get(b.scope, []):
            (emit_cluster if isinstance(item, Cluster) else emit_unit)(item, indent + "  ")
        out.append(f"{indent}}}")

    def emit_item(key: Any, indent: str) -> None:
        if isinstance(key, tuple):
            emit_cluster(view.clusters[key], indent)
        else:
            emit_unit(view.unit(key), indent)

    wrapped = len(view.columns) > 1
    column_index = {key: ci for ci, col in enumerate(view.columns) for key in col}
    col_of = {u.id: column_index[item_key(u)] for u in view.units}
    heads: list[str] = []
    for ci, col in enumerate(view.columns):
        if wrapped:
            out.append(f"  subgraph {quote(f'cluster:column:{ci + 1}')} {{")  # ':' is in no block scope
            out.append("    graph [style=invis, label=\"\", margin=\"4\"];")
        for key in col:
            emit_item(key, "    " if wrapped else "  ")
        if wrapped:
            out.append("  }")
        heads.append(_first_unit(view, col[0]))

    for a, b in view.edges:
        attrs: dict[str, Any] = {}
        if (a, b) in view.skips:
            attrs.update(color=SKIP_COLOR, penwidth="1.4")
        if (a, b) in view.edge_labels:  # a further output of a layer with several: its name
            attrs.update(label=view.edge_labels[(a, b)], fontsize="9")
        if wrapped and col_of[a] != col_of[b]:
            # The chain continues at the top of the next column (TB) or the start of the next row (LR): leave
            # the tail sideways towards it and enter the head from the side it comes from.
            tail, head = ("e", "w") if rankdir == "TB" else ("s", "n")
            attrs.update(constraint="false", style="dashed", color=CONTINUE_COLOR, tailport=tail, headport=head)
        elif view.unit(b).kind == "stub":  # into the stub at the end of a column
            attrs.update(style="dashed", color=CONTINUE_COLOR)
        out.append(f"  {quote(a)} -> {quote(b)}" + (" " + _attrs(**attrs) if attrs else "") + ";")
    for u in view.units:
        if u.kind == "stub" and u.link is not None and u.link.side == "out":
            # An invisible link from each stub to its partner keeps the columns (rows) in order.
            partner = f"from:{u.link.column}:{u.link.tail}"
            out.append(f"  {quote(u.id)} -> {quote(partner)} [style=invis, constraint=false];")
    if wrapped:
        out.append("  { rank=same; " + " ".join(quote(h) for h in heads) + "; }")
        for h1, h2 in zip(heads, heads[1:]):
            out.append(f"  {quote(h1)} -> {quote(h2)} [style=invis, weight=0];")
    out.append("}")
    return "\n".join(out) + "\n"


def _first_unit(view: View, key: Any) -> str:
    if not isinstance(key, tuple):
        return key
    cand = [u for u in view.units if u.parent[:1] == key]
    return min(cand, key=lambda u: u.first).id
