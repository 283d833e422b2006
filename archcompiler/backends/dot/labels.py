"""The text of a diagram: what each box, cluster, stub and the title say, as Graphviz HTML-like labels.

A layer box says its type and what its layer type's ``label`` rule makes of its arguments (``Conv2D  3×3/2, 64``,
see :mod:`archcompiler.layers.labels`), its name, output shape and parameters. A block box says its block, instance
name, output shape, parameters, FLOPs and how it merges its branches (``shortcut: identity``, ``shortcut: Conv2D,
BN``, ``Concatenate of 2 branches``).
"""

from __future__ import annotations

from typing import Any

from ...ir import Node
from ...layers import REGISTRY
from ...layers.labels import shape_text
from ...stats import Counts
from ..summary import human
from .style import FAMILIES, SKIP_COLOR
from .view import Shortcut, Unit, View

__all__ = ["Html", "esc", "family", "html_label", "label_rows", "layer_detail", "merge_kind", "shape_text",
           "stub_label", "title", "tooltip"]


class Html(str):
    """A Graphviz HTML-like label (written between ``<`` and ``>``, not quoted)."""


def esc(text: str) -> str:
    """Escapes text for a Graphviz HTML-like label."""
    return (str(text).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace('"', "&quot;"))


def layer_detail(node: Node) -> str:
    """The arguments a person would write next to the layer on a whiteboard (``3×3/2, 64``, ``relu``, ``0.5``):
    the ``label`` rule of its layer type."""
    defn = REGISTRY.get(node.op)
    return defn.label(node.params) if defn is not None and defn.label is not None else ""


def family(node: Node) -> str:
    """The colour family of a layer (``other`` for a family without a colour); a wrapper whose own family is
    ``other`` (TimeDistributed) takes its inner layer's."""
    defn = REGISTRY.get(node.op)
    fam = defn.family if defn else "other"
    inner = getattr(node.params, "layer", None)
    if fam == "other" and defn is not None and defn.wraps is not None and inner is not None:
        fam = inner.defn.family
    return fam if fam in FAMILIES else "other"


_ABBREV = {"BatchNormalization": "BN", "LayerNormalization": "LN", "Activation": "act"}


def merge_kind(comp: Any, members: list[str], shortcuts: dict[str, Shortcut]) -> str:
    """How the layers of a block merge their branches: ``shortcut: identity``, ``shortcut: Conv2D, BN`` (a
    projection), ``Concatenate of 2 branches``, ``Add of 2 branches`` (parallel branches, no shortcut); empty when
    the block has no merge. ``shortcuts`` are the graph's (:func:`.view.shortcuts`)."""
    graph = comp.graph
    found: list[str] = []
    for m in members:
        node = graph.node(m)
        defn = REGISTRY.get(node.op)
        if not defn or defn.family != "merge" or len(node.inputs) < 2:
            continue
        s = shortcuts.get(m)
        if s is None:
            found.append(f"{node.op} of {len(node.inputs)} branches")
        elif not s.path:
            found.append("shortcut: identity")
        else:
            found.append("shortcut: " + ", ".join(_ABBREV.get(o, o) for o in (graph.node(p).op for p in s.path)))
    return "; ".join(dict.fromkeys(found))


def params_text(c: Counts) -> str:
    return f"{c.total:,} params"


def label_rows(u: Unit, comp: Any, view: View) -> list[tuple[str, str]]:
    """The label lines of a layer, block or fold box as (style, text): style ``title``, ``name``, ``body`` or
    ``note``."""
    rows: list[tuple[str, str]] = []
    if u.kind == "layer":
        assert u.layer is not None
        detail = layer_detail(u.layer)
        rows.append(("title", u.layer.op + (f"  {detail}" if detail else "")))
        rows.append(("name", u.layer.name))
        shape = shape_text(comp.types[u.output].shape)
        if u.layer.outputs:  # several outputs: each by name after the first (`(32), state_h (32), state_c (32)`)
            shape = ", ".join([shape, *(f"{o} {shape_text(comp.types[t].shape)}"
                                        for o, t in zip(u.layer.outputs[1:], u.layer.tensors[1:]))])
        if u.counts.total or u.layer.op == "Input":
            rows.append(("body", shape + (f" · {params_text(u.counts)}" if u.counts.total else "")))
        else:  # parameter-free layers get a smaller box: name and shape on one line
            rows[-1] = ("name", f"{u.layer.name} · {shape}")
        return rows
    b0 = u.blocks[0]
    if u.kind == "fold":
        rows.append(("title", f"{b0.block} ×{len(u.blocks)}"))
        rows.append(("name", f"{b0.scope[-1]} … {u.blocks[-1].scope[-1]}"))
    else:
        rows.append(("title", b0.block))
        rows.append(("name", b0.scope[-1]))
    rows.append(("body", shape_text(comp.types[u.output].shape)))
    params = params_text(u.counts)
    if u.kind == "fold":
        params += f" ({len(u.blocks)} × {u.counts.total // len(u.blocks):,})"
    rows.append(("body", f"{params} · {human(u.counts.flops)} FLOPs"))
    k = len(b0.scope)
    kind = merge_kind(comp, [m for m in u.members if comp.graph.node(m).scope[:k] == b0.scope], view.shortcuts)
    if kind:
        rows.append(("note", kind))
    return rows


def html_label(rows: list[tuple[str, str]], size: str) -> Html:
    """An HTML-like label with one line per row; ``size`` is ``normal`` or ``small`` (parameter-free layers)."""
    big, small = (12, 10) if size == "normal" else (11, 9)
    cells = []
    for style, text in rows:
        t = esc(text)
        if style == "title":
            cells.append(f'<TR><TD><FONT POINT-SIZE="{big}"><B>{t}</B></FONT></TD></TR>')
        elif style == "name":
            cells.append(f'<TR><TD><FONT POINT-SIZE="{small}" COLOR="#444444">{t}</FONT></TD></TR>')
        elif style == "note":
            cells.append(f'<TR><TD><FONT POINT-SIZE="{small}" COLOR="#7a3b69"><I>{t}</I></FONT></TD></TR>')
        else:
            cells.append(f'<TR><TD><FONT POINT-SIZE="{small}">{t}</FONT></TD></TR>')
    return Html(f'<<TABLE BORDER="0" CELLBORDER="0" CELLSPACING="0" CELLPADDING="1">{"".join(cells)}</TABLE>>')


def output_label(u: Unit, comp: Any) -> Html:
    """The dark marker after the layer that produces a model output: its name and shape."""
    return Html(f'<<FONT POINT-SIZE="10"><B>output</B> {esc(u.output)}<BR/>'
                f'{esc(shape_text(comp.types[u.output].shape))}</FONT>>')


def _where(view: View, n: int) -> str:
    return f"{'column' if view.rankdir == 'TB' else 'row'} {n}"


def stub_label(u: Unit, comp: Any, view: View) -> Html:
    """A continuation stub: ``→ res3a`` / ``continues in column 2`` at the end of a column, ``from res2c`` /
    ``activation_9 · 15×15×256 (column 1)`` at the start of the next."""
    link = u.link
    assert link is not None
    if link.side == "out":
        head, sub = f"→ {link.target}", f"continues in {_where(view, link.column)}"
    else:
        tensor = "" if u.output == link.source else f"{u.output} · "
        head = f"from {link.source}"
        sub = f"{tensor}{shape_text(comp.types[u.output].shape)} ({_where(view, link.column - 1)})"
    return Html(f'<<FONT POINT-SIZE="10"><B>{esc(head)}</B><BR/>'
                f'<FONT POINT-SIZE="9" COLOR="#555555">{esc(sub)}</FONT></FONT>>')


def tooltip(u: Unit, comp: Any, view: View) -> str:
    """The full counts of a box (SVG tooltips)."""
    c = u.counts
    if u.kind == "output":
        return f"output {u.output}: {shape_text(comp.types[u.output].shape)}"
    if u.kind == "stub":
        link = u.link
        assert link is not None
        return (f"{u.output} ({link.source}) continues in {_where(view, link.column)}, at {link.target}: "
                f"{shape_text(comp.types[u.output].shape)}")
    what = (f"{u.layer.op} {u.layer.name}" if u.kind == "layer" and u.layer is not None
            else ", ".join("/".join(b.scope) for b in u.blocks) + f" ({u.blocks[0].block})")
    flops = "?" if c.flops is None else f"{c.flops:,}"
    return (f"{what}\noutput {shape_text(comp.types[u.output].shape)}\n{c.total:,} params "
            f"({c.trainable:,} trainable, {c.non_trainable:,} non-trainable)\n{flops} FLOPs\n"
            f"{len(u.members)} layer{'s' if len(u.members) != 1 else ''}")


def cluster_label(comp: Any, cluster: Any) -> Html:
    """An opened block instance: block, instance name, output shape, parameters and FLOPs."""
    b, c = cluster.block, cluster.counts
    return Html(f'<<B>{esc(b.block)}</B> {esc(b.scope[-1])}<FONT POINT-SIZE="10" COLOR="#444444">'
                f'   {esc(shape_text(comp.types[b.output].shape))} · {esc(params_text(c))} · '
                f'{esc(human(c.flops))} FLOPs</FONT>>')


def title(comp: Any, view: View, block_colors: dict[str, tuple[str, str]], families: list[str]) -> Html:
    """The title: the model's name, its totals, the view, and a legend of the block colours, layer families and
    shortcuts shown."""
    t = comp.stats.total
    flops = "unknown FLOPs" if t.flops is None else f"{human(t.flops)} FLOPs"
    where = "block level" if view.level == "block" else "layer level"
    if view.depth is not None:
        where += f", depth {view.depth}"
    if view.fold:
        where += ", folded"
    if len(view.columns) > 1:
        n = len(view.columns)
        parts = "columns" if view.rankdir == "TB" else "rows"
        if any(u.kind == "stub" for u in view.units):
            where += f" · in {n} {parts} (each “→ name” box continues at the “from …” box of the next one)"
        else:
            where += f" · in {n} {parts} (a dashed edge continues in the next one)"
    rows = [f'<TR><TD><FONT POINT-SIZE="18"><B>{esc(comp.graph.name)}</B></FONT></TD></TR>',
            f'<TR><TD><FONT POINT-SIZE="12">{t.total:,} parameters ({t.trainable:,} trainable, '
            f'{t.non_trainable:,} non-trainable) · {esc(flops)} · {comp.layer_count} layers</FONT></TD></TR>',
            f'<TR><TD><FONT POINT-SIZE="10" COLOR="#666666">{esc(where)}</FONT></TD></TR>']
    keys: list[str] = []
    for name, (fill, line) in block_colors.items():
        keys.append(f'<TD BGCOLOR="{fill}" COLOR="{line}" BORDER="2" STYLE="rounded"><FONT POINT-SIZE="10">'
                    f'<B>{esc(name)}</B></FONT></TD>')
    for fam in families:
        label, fill, line = FAMILIES[fam]
        keys.append(f'<TD BGCOLOR="{fill}" COLOR="{line}" BORDER="1" STYLE="rounded"><FONT POINT-SIZE="10">'
                    f'{esc(label)}</FONT></TD>')
    if view.skips:
        keys.append(f'<TD><FONT POINT-SIZE="10" COLOR="{SKIP_COLOR}">⟶ shortcut</FONT></TD>')
    body = "".join(rows)
    if keys:
        body += ('<TR><TD><TABLE BORDER="0" CELLBORDER="0" CELLSPACING="4" CELLPADDING="3"><TR>' + "".join(keys)
                 + "</TR></TABLE></TD></TR>")
    return Html(f'<<TABLE BORDER="0" CELLBORDER="0" CELLSPACING="2" CELLPADDING="2">{body}</TABLE>>')
