"""Architecture diagrams: Graphviz DOT text written by archc, rendered to SVG, PNG or PDF by Graphviz's ``dot``.

Two levels of detail, both drawn from the IR graph and its block instances:

* ``block`` (the default): one box per block instance (its block, instance name, output shape, parameters, FLOPs
  and the kind of shortcut or merge it contains), plus the inputs, the top-level layers and the outputs.
  ``depth`` opens nested blocks: at depth N the blocks of nesting level N (and any block without sub-blocks above
  it) are boxes, the blocks above them are drawn as clusters around their parts. Default 1.
* ``layer``: one box per layer (type, key arguments, name, output shape, parameters), coloured by layer family;
  block instances are nested clusters labelled with their totals. ``depth`` limits the cluster levels: blocks at
  nesting level N + 1 collapse into a single box. Default: all levels.

``fold`` draws consecutive, chained instances of one block with the same output shape and the same counts as one
``xN`` box. Edges follow the data: an edge from box A to box B when a layer in B reads a layer in A. Long chains
are wrapped into several columns (rows with ``rankdir=LR``), cut where every edge that crosses joins the two
neighbouring units, preferably at a stage boundary, so that a ResNet-152 fits a screen; a dashed edge continues the
chain in the next column.

The DOT text is deterministic: node ids are IR layer names and block scopes, the order follows the graph, nothing
depends on hashing or object identity. Rendering needs the ``graphviz`` Python package and the ``dot`` program;
``fmt="dot"`` needs neither.
"""

from __future__ import annotations

import bisect
import heapq
import math
import shutil
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterable, Optional, Union

from ..diagnostics import UsageError
from ..ir import BlockInstance, Node
from ..layers import REGISTRY
from ..stats import Counts
from .summary import human

LEVELS = ("block", "layer")
FORMATS = ("svg", "png", "pdf", "dot")
RANKDIRS = ("TB", "LR")

Depth = Union[int, str, None]

#: Layer families in legend order: (label, fill colour, border colour).
FAMILIES: dict[str, tuple[str, str, str]] = {
    "input": ("input", "#d0e0e3", "#45818e"),
    "conv": ("convolution", "#cfe2f3", "#3d85c6"),
    "norm": ("normalization", "#fff2cc", "#bf9000"),
    "activation": ("activation", "#d9ead3", "#6aa84f"),
    "pooling": ("pooling", "#fce5cd", "#e69138"),
    "merge": ("merge", "#ead1dc", "#a64d79"),
    "dense": ("dense", "#f4cccc", "#cc4125"),
    "reshape": ("reshape", "#eeeeee", "#888888"),
    "regularization": ("regularization", "#d9d2e9", "#674ea7"),
    "other": ("other", "#ffffff", "#888888"),
}

#: Fill and border colours of block boxes, given to block names in order of first appearance. Blocks are told
#: apart by a strong border on a faint tint, layers by their pastel fill, so the two legends do not overlap.
BLOCK_COLORS: tuple[tuple[str, str], ...] = (
    ("#f3f6fc", "#3c5a99"), ("#f4f9f0", "#4f7f33"), ("#fdf6ec", "#b06d0a"), ("#f7f1fa", "#70479a"),
    ("#eef8f8", "#217a7a"), ("#fbf0f0", "#a33b3b"), ("#f7f7ea", "#7a7a24"), ("#f2f2f2", "#555555"),
)

#: Background shades of nested clusters, outermost first (cycled).
CLUSTER_FILLS = ("#f5f7fa", "#eaeef4", "#dfe5ee")

FONT = "Helvetica,Arial,sans-serif"
EDGE_COLOR = "#555555"
SKIP_COLOR = "#3d6fb6"

#: Wrapping: a chain longer than this many inches (estimated) is split into columns.
WRAP_LIMIT_IN = {"block": 30.0, "layer": 40.0}

#: Estimated inches per rank along the layout direction, and across it per column (by level and rankdir).
_EXTENT = {("block", "TB"): (1.3, 3.4), ("block", "LR"): (2.6, 1.0),
           ("layer", "TB"): (0.75, 4.5), ("layer", "LR"): (2.2, 1.6)}


# ---------------------------------------------------------------------------------------------------------------
# the view: which boxes and clusters are drawn
# ---------------------------------------------------------------------------------------------------------------

@dataclass
class Unit:
    """One box of the diagram.

    Attributes:
        id: the DOT node id (an IR layer name, ``block:`` + scope path, ``fold:`` + first..last, ``output:`` + name).
        kind: ``layer``, ``block``, ``fold`` or ``output``.
        parent: the scope of the cluster drawing it (``()`` at top level).
        first: index of its first IR layer (the drawing order).
        layer: the IR layer of a ``layer`` box (or the output layer of an ``output`` marker).
        blocks: the block instance of a ``block`` box; every instance of a ``fold`` box.
        counts: parameters and FLOPs of everything in the box (zero for output markers).
        output: the IR layer whose shape the box shows.
        members: names of the IR layers in the box.
    """

    id: str
    kind: str
    parent: tuple[str, ...]
    first: int
    layer: Optional[Node] = None
    blocks: list[BlockInstance] = field(default_factory=list)
    counts: Counts = Counts()
    output: str = ""
    members: list[str] = field(default_factory=list)


@dataclass
class Cluster:
    """An opened block instance drawn as a cluster around its parts."""

    id: str
    block: BlockInstance
    first: int
    counts: Counts


@dataclass
class View:
    """What a diagram shows: boxes, clusters, edges between boxes (in a stable order), and the layout columns."""

    level: str
    depth: Optional[int]
    fold: bool
    rankdir: str
    units: list[Unit]
    clusters: dict[tuple[str, ...], Cluster]
    edges: list[tuple[str, str]]
    skips: set[tuple[str, str]]
    columns: list[list[Any]] = field(default_factory=list)
    spine: list[str] = field(default_factory=list)

    def unit(self, uid: str) -> Unit:
        return self._index[uid]

    def __post_init__(self) -> None:
        self._index = {u.id: u for u in self.units}

    @property
    def boxes(self) -> list[Unit]:
        """The boxes that stand for parts of the network (output markers excluded)."""
        return [u for u in self.units if u.kind != "output"]


def _normalise_depth(level: str, depth: Depth) -> Optional[int]:
    if level not in LEVELS:
        raise ValueError(f"level must be one of {', '.join(LEVELS)}. Received: {level!r}")
    if depth is None:
        return 1 if level == "block" else None
    if depth == "all":
        return None
    if isinstance(depth, bool) or not isinstance(depth, int) or depth < 1:
        raise ValueError(f"depth must be a positive integer, 'all' or None. Received: {depth!r}")
    return depth


def plan(comp: Any, level: str = "block", depth: Depth = None, fold: bool = False,
         rankdir: str = "TB", columns: Optional[int] = None) -> View:
    """Decides what the diagram shows (see the module docstring for ``level``, ``depth`` and ``fold``).

    ``columns`` forces the number of columns of the wrapped layout (1: no wrapping); None chooses it.
    """
    d = _normalise_depth(level, depth)
    graph, stats = comp.graph, comp.stats
    blocks = {b.scope: b for b in graph.blocks}
    has_sub = {s[:-1] for s in blocks if len(s) > 1}

    def boxed(scope: tuple[str, ...]) -> bool:
        k = len(scope)
        if level == "block":
            return (d is not None and k >= d) or scope not in has_sub
        return d is not None and k > d

    # Each IR layer goes to the box of its outermost boxed block, or to its own box.
    owner: dict[str, str] = {}
    units: dict[str, Unit] = {}
    clusters: dict[tuple[str, ...], Cluster] = {}
    for i, n in enumerate(graph.nodes):
        box_scope: Optional[tuple[str, ...]] = None
        for k in range(1, len(n.scope) + 1):
            s = n.scope[:k]
            if s not in blocks:
                continue
            if boxed(s):
                box_scope = s
                break
            if s not in clusters:
                clusters[s] = Cluster("cluster_" + "/".join(s), blocks[s], i, stats.blocks.get(s, Counts()))
        if box_scope is None:
            uid = n.name
            units[uid] = Unit(uid, "layer", n.scope, i, layer=n, counts=stats.nodes[n.name], output=n.name,
                              members=[n.name])
        else:
            uid = "block:" + "/".join(box_scope)
            if uid not in units:
                b = blocks[box_scope]
                units[uid] = Unit(uid, "block", box_scope[:-1], i, blocks=[b],
                                  counts=stats.blocks.get(box_scope, Counts()), output=b.output)
            units[uid].members.append(n.name)
        owner[n.name] = uid

    ordered = sorted(units.values(), key=lambda u: u.first)
    edges = _edges(graph.nodes, owner)
    if fold:
        ordered, edges, owner = _fold(ordered, edges, owner, comp)
    # Output markers, after the box holding each output.
    for o in graph.outputs:
        ordered.append(Unit("output:" + o, "output", (), len(graph.nodes), layer=graph.node(o), output=o))
        edges.append((owner[o], "output:" + o))
    view = View(level, d, fold, rankdir, ordered, clusters, edges, _skip_edges(ordered, edges))
    view.columns = _columns(view, comp.types, rankdir, columns)
    view.spine = spine(ordered, edges)
    return view


def _edges(nodes: Iterable[Node], owner: dict[str, str]) -> list[tuple[str, str]]:
    seen: set[tuple[str, str]] = set()
    out: list[tuple[str, str]] = []
    for n in nodes:
        for i in n.inputs:
            e = (owner[i], owner[n.name])
            if e[0] != e[1] and e not in seen:
                seen.add(e)
                out.append(e)
    return out


def _fold(units: list[Unit], edges: list[tuple[str, str]], owner: dict[str, str],
          comp: Any) -> tuple[list[Unit], list[tuple[str, str]], dict[str, str]]:
    """Folds runs of chained block boxes of one block with the same output shape and counts into ``xN`` boxes."""
    ins: dict[str, list[str]] = {u.id: [] for u in units}
    outs: dict[str, list[str]] = {u.id: [] for u in units}
    for a, b in edges:
        outs[a].append(b)
        ins[b].append(a)

    def chained(a: Unit, b: Unit) -> bool:
        if a.kind != "block" or b.kind != "block" or a.parent != b.parent:
            return False
        ba, bb = a.blocks[0], b.blocks[0]
        return (ba.block == bb.block and comp.types[ba.output].shape == comp.types[bb.output].shape
                and a.counts == b.counts and outs[a.id] == [b.id] and ins[b.id] == [a.id])

    runs: list[list[Unit]] = []
    for u in units:
        if runs and chained(runs[-1][-1], u):
            runs[-1].append(u)
        else:
            runs.append([u])
    rename: dict[str, str] = {}
    result: list[Unit] = []
    for run in runs:
        if len(run) == 1:
            result.append(run[0])
            continue
        first, last = run[0], run[-1]
        uid = f"fold:{'/'.join(first.blocks[0].scope)}..{last.blocks[0].scope[-1]}"
        total = Counts()
        for u in run:
            total = total + u.counts
        folded = Unit(uid, "fold", first.parent, first.first, blocks=[u.blocks[0] for u in run], counts=total,
                      output=last.output, members=[m for u in run for m in u.members])
        for u in run:
            rename[u.id] = uid
        result.append(folded)
    if not rename:
        return units, edges, owner
    new_edges: list[tuple[str, str]] = []
    seen: set[tuple[str, str]] = set()
    for a, b in edges:
        e = (rename.get(a, a), rename.get(b, b))
        if e[0] != e[1] and e not in seen:
            seen.add(e)
            new_edges.append(e)
    return result, new_edges, {k: rename.get(v, v) for k, v in owner.items()}


def _levels(units: list[Unit], edges: list[tuple[str, str]]) -> dict[str, int]:
    """Longest-path level of each box, in topological order (boxes in drawing order break ties)."""
    preds: dict[str, list[str]] = {u.id: [] for u in units}
    succs: dict[str, list[str]] = {u.id: [] for u in units}
    for a, b in edges:
        if a in preds and b in preds:
            preds[b].append(a)
            succs[a].append(b)
    waiting = {k: len(v) for k, v in preds.items()}
    ready = [u.id for u in units if not waiting[u.id]]
    level: dict[str, int] = {}
    order = {u.id: i for i, u in enumerate(units)}
    heap = [(order[k], k) for k in ready]
    heapq.heapify(heap)
    while heap:
        _, k = heapq.heappop(heap)
        level[k] = max((level[p] + 1 for p in preds[k] if p in level), default=0)
        for s_ in succs[k]:
            waiting[s_] -= 1
            if not waiting[s_]:
                heapq.heappush(heap, (order[s_], s_))
    for u in units:  # only on a cycle, which a network's graph never has
        level.setdefault(u.id, max((level.get(p, 0) + 1 for p in preds[u.id]), default=0))
    return level


def spine(units: list[Unit], edges: list[tuple[str, str]]) -> list[str]:
    """The longest chain of boxes (ties go to the earliest box); drawn straight, the branches bend around it."""
    lv = _levels(units, edges)
    if not lv:
        return []
    preds: dict[str, list[str]] = {u.id: [] for u in units}
    for a, b in edges:
        preds[b].append(a)
    units_order = {u.id: i for i, u in enumerate(units)}
    cur = max(units, key=lambda u: (lv[u.id], -units_order[u.id])).id
    chain = [cur]
    while preds[cur]:
        cur = max(preds[cur], key=lambda p: (lv[p], -units_order[p]))
        chain.append(cur)
    return chain[::-1]


def _skip_edges(units: list[Unit], edges: list[tuple[str, str]]) -> set[tuple[str, str]]:
    """Edges that jump over boxes (shortcuts): the head's level is more than one above the tail's."""
    lv = _levels(units, edges)
    return {(a, b) for a, b in edges if lv[b] - lv[a] > 1 and not b.startswith("output:")}


# ---------------------------------------------------------------------------------------------------------------
# wrapping long chains into columns
# ---------------------------------------------------------------------------------------------------------------

def _item_key(u: Unit) -> Any:
    """The top-level item a box belongs to: itself, or the scope of its outermost cluster."""
    return u.id if not u.parent else u.parent[:1]


def _columns(view: View, types: dict, rankdir: str, forced: Optional[int]) -> list[list[Any]]:
    """Top-level items (box ids, or scope tuples for top-level clusters), split into columns at clean cuts: places
    where every edge that crosses joins the two items next to the cut. Linear in the size of the view."""
    items: list[Any] = []
    first: dict[Any, int] = {}
    members: dict[Any, list[Unit]] = {}
    item_of: dict[str, Any] = {}
    for u in view.units:
        key = _item_key(u)
        item_of[u.id] = key
        if key not in members:
            members[key] = []
            first[key] = u.first if not u.parent else view.clusters[key].first
            items.append(key)
        members[key].append(u)
    items.sort(key=lambda k: (first[k], 0 if isinstance(k, tuple) else 1, str(k)))
    pos = {k: i for i, k in enumerate(items)}
    n = len(items)
    if n < 2 or forced == 1:
        return [items]

    inner: dict[Any, list[tuple[str, str]]] = {}
    item_edges: set[tuple[int, int]] = set()
    for a, b in view.edges:
        ka, kb = item_of[a], item_of[b]
        if ka == kb:
            inner.setdefault(ka, []).append((a, b))
        else:
            item_edges.add((pos[ka], pos[kb]))

    # Ranks each item takes along the layout direction (all columns share the ranks).
    ranks: dict[Any, int] = {}
    for k in items:
        if isinstance(k, tuple):
            lv = _levels(members[k], inner.get(k, []))
            nesting = max(len(u.parent) for u in members[k])
            ranks[k] = max(lv.values(), default=0) + 1 + nesting
        else:
            ranks[k] = 1

    delta = [0] * (n + 2)
    for ia, ib in item_edges:
        delta[min(ia, ib) + 1] += 1
        delta[max(ia, ib) + 1] -= 1
    clean: list[int] = []
    crossing = 0
    for c in range(1, n):
        crossing += delta[c]
        if crossing == 1 and (c - 1, c) in item_edges:
            clean.append(c)
    if not clean:
        return [items]

    start = [0] * (n + 1)
    for i, k in enumerate(items):
        start[i + 1] = start[i] + ranks[k]
    total = start[n]
    if forced is None:
        step, width = _EXTENT[view.level, rankdir]
        if total * step <= WRAP_LIMIT_IN[view.level]:
            return [items]
        # TB: columns side by side, about as wide as tall; LR: rows stacked, wider than tall (a screen's shape).
        want = max(2, round(math.sqrt(total * step / width * (1.0 if rankdir == "TB" else 1 / 1.6))))
    else:
        want = forced
    # Spatial size of each item's output: a cut where it changes falls between stages, where a person would cut.
    def spatial(k: Any) -> tuple:
        out = view.clusters[k].block.output if isinstance(k, tuple) else view.unit(k).output
        return tuple(types[out].shape[:-1])

    window = total / want * 0.2
    cuts: list[int] = []
    for j in range(1, want):
        target = total * j / want
        k = bisect.bisect_left(clean, cuts[-1] + 1) if cuts else 0
        if k >= len(clean):
            break
        # Among the clean cuts after the previous one: those near the target that change the spatial size, else
        # the nearest.
        lo = bisect.bisect_left(start, target - window, lo=clean[k])
        near_stage = [c for c in clean[bisect.bisect_left(clean, lo, lo=k):]
                      if start[c] <= target + window][:64]
        near_stage = [c for c in near_stage if spatial(items[c - 1]) != spatial(items[c])]
        if near_stage:
            cuts.append(min(near_stage, key=lambda c: (abs(start[c] - target), c)))
            continue
        m = bisect.bisect_left(start, target, lo=clean[k])
        near = [c for c in (_floor_in(clean, m - 1, k), _ceil_in(clean, m, k)) if c is not None]
        cuts.append(min(near, key=lambda c: (abs(start[c] - target), c)))
    bounds = [0, *cuts, n]
    return [items[bounds[i]:bounds[i + 1]] for i in range(len(bounds) - 1) if bounds[i] < bounds[i + 1]]


def _floor_in(xs: list[int], x: int, lo: int) -> Optional[int]:
    """The largest element of sorted ``xs[lo:]`` that is <= x."""
    i = bisect.bisect_right(xs, x, lo=lo) - 1
    return xs[i] if i >= lo else None


def _ceil_in(xs: list[int], x: int, lo: int) -> Optional[int]:
    """The smallest element of sorted ``xs[lo:]`` that is >= x."""
    i = bisect.bisect_left(xs, x, lo=lo)
    return xs[i] if i < len(xs) else None


# ---------------------------------------------------------------------------------------------------------------
# labels
# ---------------------------------------------------------------------------------------------------------------

class Html(str):
    """A Graphviz HTML-like label (written between ``<`` and ``>``, not quoted)."""


def _esc(text: str) -> str:
    """Escapes text for a Graphviz HTML-like label."""
    return (str(text).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace('"', "&quot;"))


def quote(text: str) -> str:
    """A DOT double-quoted string (ids, plain attributes)."""
    return '"' + str(text).replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n") + '"'


def shape_text(shape: tuple) -> str:
    """``(15, 15, 256)`` -> ``15×15×256``, ``(10,)`` -> ``(10)``; unknown dimensions are ``?``."""
    text = "×".join("?" if d is None else str(d) for d in shape)
    return f"({text})" if len(shape) == 1 else text or "scalar"


def _pair(v: Any) -> str:
    if isinstance(v, (tuple, list)):
        if len(set(v)) == 1:
            return str(v[0]) if len(v) == 1 else "×".join(str(x) for x in v)
        return "×".join(str(x) for x in v)
    return str(v)


def _stride(v: Any) -> str:
    if v is None:
        return ""
    vals = v if isinstance(v, (tuple, list)) else (v,)
    if all(x == 1 for x in vals):
        return ""
    return "/" + (str(vals[0]) if len(set(vals)) == 1 else "×".join(str(x) for x in vals))


def layer_detail(node: Node) -> str:
    """The arguments a person would write next to the layer on a whiteboard (``3×3/2, 64``, ``relu``, ``0.5``)."""
    p = node.params
    g = lambda k: getattr(p, k, None)  # noqa: E731
    parts: list[str] = []
    act = g("activation")
    if node.op in ("Conv2D", "Conv1D", "SeparableConv2D", "DepthwiseConv2D"):
        k = _pair(g("kernel_size")) + _stride(g("strides"))
        if node.op == "DepthwiseConv2D":
            k += " depthwise"
        parts.append(k)
        if g("filters") is not None:
            parts.append(str(g("filters")))
        if act and act != "linear":
            parts.append(str(act))
    elif node.op == "Dense":
        parts.append(str(g("units")))
        if act and act != "linear":
            parts.append(str(act))
    elif node.op == "Activation":
        parts.append(str(act))
    elif node.op in ("MaxPooling2D", "AveragePooling2D"):
        s = g("strides")
        parts.append(_pair(g("pool_size")) + (_stride(s) if s is not None else _stride(g("pool_size"))))
    elif node.op == "Dropout":
        parts.append(f"{g('rate'):g}")
    elif node.op == "ZeroPadding2D":
        pad = g("padding")
        flat = [x for pair in pad for x in pair] if isinstance(pad, tuple) else [pad]
        parts.append(str(flat[0]) if len(set(flat)) == 1 else str(list(pad)))
    elif node.op == "UpSampling2D":
        parts.append("×" + _pair(g("size")))
    elif node.op == "Reshape":
        parts.append(shape_text(tuple(g("target_shape"))))
    return ", ".join(parts)


def _family(node: Node) -> str:
    defn = REGISTRY.get(node.op)
    fam = defn.family if defn else "other"
    return fam if fam in FAMILIES else "other"


def _merge_kind(comp: Any, members: list[str]) -> str:
    """How the layers of a block merge their branches: ``shortcut: identity``, ``shortcut: Conv2D, BN``,
    ``Concatenate of 2 branches``; empty when the block has no merge."""
    graph = comp.graph
    inside = set(members)
    consumers: dict[str, int] = {}
    for m in members:
        for i in graph.node(m).inputs:
            consumers[i] = consumers.get(i, 0) + 1
    found: list[str] = []
    for m in members:
        node = graph.node(m)
        defn = REGISTRY.get(node.op)
        if not defn or defn.family != "merge" or len(node.inputs) < 2:
            continue
        branches: list[list[str]] = []
        for i in node.inputs:
            path: list[str] = []
            cur = i
            while cur in inside and consumers.get(cur, 0) <= 1:
                cn = graph.node(cur)
                path.append(cn.op)
                if len(cn.inputs) != 1:
                    break
                cur = cn.inputs[0]
            branches.append(path)
        short = min(branches, key=len)
        longest = max(len(b) for b in branches)
        if node.op in ("Add", "Subtract", "Average", "Maximum", "Minimum") and len(short) < longest:
            if not short:
                found.append("shortcut: identity")
            else:
                ops = [_ABBREV.get(o, o) for o in reversed(short)]
                found.append("shortcut: " + ", ".join(ops))
        else:
            found.append(f"{node.op} of {len(node.inputs)} branches")
    return "; ".join(dict.fromkeys(found))


_ABBREV = {"BatchNormalization": "BN", "LayerNormalization": "LN", "Activation": "act"}


def _params_text(c: Counts) -> str:
    return f"{c.total:,} params"


def _label_rows(u: Unit, comp: Any) -> list[tuple[str, str]]:
    """The label lines of a box as (style, text): style ``title``, ``name``, ``body`` or ``note``."""
    if u.kind == "output":
        return [("body", "output")]
    rows: list[tuple[str, str]] = []
    if u.kind == "layer":
        assert u.layer is not None
        detail = layer_detail(u.layer)
        rows.append(("title", u.layer.op + (f"  {detail}" if detail else "")))
        rows.append(("name", u.layer.name))
        shape = shape_text(comp.types[u.output].shape)
        if u.counts.total or u.layer.op == "Input":
            rows.append(("body", shape + (f" · {_params_text(u.counts)}" if u.counts.total else "")))
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
    params = _params_text(u.counts)
    if u.kind == "fold":
        params += f" ({len(u.blocks)} × {u.counts.total // len(u.blocks):,})"
    rows.append(("body", f"{params} · {human(u.counts.flops)} FLOPs"))
    k = len(b0.scope)
    kind = _merge_kind(comp, [m for m in u.members if comp.graph.node(m).scope[:k] == b0.scope])
    if kind:
        rows.append(("note", kind))
    return rows


def _html_label(rows: list[tuple[str, str]], size: str) -> str:
    """An HTML-like label with one line per row; ``size`` is ``normal`` or ``small`` (parameter-free layers)."""
    big, small = (12, 10) if size == "normal" else (11, 9)
    cells = []
    for style, text in rows:
        t = _esc(text)
        if style == "title":
            cells.append(f'<TR><TD><FONT POINT-SIZE="{big}"><B>{t}</B></FONT></TD></TR>')
        elif style == "name":
            cells.append(f'<TR><TD><FONT POINT-SIZE="{small}" COLOR="#444444">{t}</FONT></TD></TR>')
        elif style == "note":
            cells.append(f'<TR><TD><FONT POINT-SIZE="{small}" COLOR="#7a3b69"><I>{t}</I></FONT></TD></TR>')
        else:
            cells.append(f'<TR><TD><FONT POINT-SIZE="{small}">{t}</FONT></TD></TR>')
    return Html(f'<<TABLE BORDER="0" CELLBORDER="0" CELLSPACING="0" CELLPADDING="1">{"".join(cells)}</TABLE>>')


def _tooltip(u: Unit, comp: Any) -> str:
    c = u.counts
    if u.kind == "output":
        return f"output {u.output}: {shape_text(comp.types[u.output].shape)}"
    what = (f"{u.layer.op} {u.layer.name}" if u.kind == "layer" and u.layer is not None
            else ", ".join("/".join(b.scope) for b in u.blocks) + f" ({u.blocks[0].block})")
    flops = "?" if c.flops is None else f"{c.flops:,}"
    return (f"{what}\noutput {shape_text(comp.types[u.output].shape)}\n{c.total:,} params "
            f"({c.trainable:,} trainable, {c.non_trainable:,} non-trainable)\n{flops} FLOPs\n"
            f"{len(u.members)} layer{'s' if len(u.members) != 1 else ''}")


# ---------------------------------------------------------------------------------------------------------------
# DOT text
# ---------------------------------------------------------------------------------------------------------------

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


def _title(comp: Any, view: View, block_colors: dict[str, tuple[str, str]], families: list[str]) -> str:
    t = comp.stats.total
    flops = "unknown FLOPs" if t.flops is None else f"{human(t.flops)} FLOPs"
    where = "block level" if view.level == "block" else "layer level"
    if view.depth is not None:
        where += f", depth {view.depth}"
    if view.fold:
        where += ", folded"
    if len(view.columns) > 1:
        n = len(view.columns)
        where += (f" · in {n} columns (a dashed edge continues in the next one)" if view.rankdir == "TB"
                  else f" · in {n} rows (a dashed edge continues in the next one)")
    rows = [f'<TR><TD><FONT POINT-SIZE="18"><B>{_esc(comp.graph.name)}</B></FONT></TD></TR>',
            f'<TR><TD><FONT POINT-SIZE="12">{t.total:,} parameters ({t.trainable:,} trainable, '
            f'{t.non_trainable:,} non-trainable) · {_esc(flops)} · {len(comp.graph.nodes)} layers</FONT></TD></TR>',
            f'<TR><TD><FONT POINT-SIZE="10" COLOR="#666666">{_esc(where)}</FONT></TD></TR>']
    keys: list[str] = []
    for name, (fill, line) in block_colors.items():
        keys.append(f'<TD BGCOLOR="{fill}" COLOR="{line}" BORDER="2" STYLE="rounded"><FONT POINT-SIZE="10">'
                    f'<B>{_esc(name)}</B></FONT></TD>')
    for fam in families:
        label, fill, line = FAMILIES[fam]
        keys.append(f'<TD BGCOLOR="{fill}" COLOR="{line}" BORDER="1" STYLE="rounded"><FONT POINT-SIZE="10">'
                    f'{_esc(label)}</FONT></TD>')
    if view.skips:
        keys.append(f'<TD><FONT POINT-SIZE="10" COLOR="{SKIP_COLOR}">⟶ shortcut</FONT></TD>')
    body = "".join(rows)
    if keys:
        body += ('<TR><TD><TABLE BORDER="0" CELLBORDER="0" CELLSPACING="4" CELLPADDING="3"><TR>' + "".join(keys)
                 + "</TR></TABLE></TD></TR>")
    return Html(f'<<TABLE BORDER="0" CELLBORDER="0" CELLSPACING="2" CELLPADDING="2">{body}</TABLE>>')


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
    fams = {(_family(u.layer)) for u in view.units if u.kind == "layer" and u.layer is not None}
    families = [f for f in FAMILIES if f in fams]

    out = [f"digraph {quote(graph.name)} {{"]
    gattrs = dict(rankdir=rankdir, newrank="true", fontname=FONT, labelloc="t", labeljust="c",
                  nodesep="0.25" if view.level == "layer" else "0.35",
                  ranksep="0.3" if view.level == "layer" else "0.35",
                  bgcolor="white", pad="0.3", outputorder="edgesfirst")
    out.append("  graph " + _attrs(**gattrs) + ";")
    out.append("  graph [label=" + _title(comp, view, block_colors, families) + "];")
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
        rows = _label_rows(u, comp)
        group = "spine" if u.id in on_spine else None
        if u.kind == "output":
            label = Html(f'<<FONT POINT-SIZE="10"><B>output</B> {_esc(u.output)}<BR/>'
                         f'{_esc(shape_text(comp.types[u.output].shape))}</FONT>>')
            out.append(f"{indent}{quote(u.id)} " + _attrs(label=label, shape="box", style="rounded,filled",
                                                            fillcolor="#444444", fontcolor="white",
                                                            color="#444444", tooltip=_tooltip(u, comp)) + ";")
            return
        if u.kind == "layer":
            assert u.layer is not None
            _, fill, line = FAMILIES[_family(u.layer)]
            big = u.counts.total > 0 or _family(u.layer) == "input"
            out.append(f"{indent}{quote(u.id)} " + _attrs(
                label=_html_label(rows, "normal" if big else "small"), fillcolor=fill, color=line, group=group,
                tooltip=_tooltip(u, comp)) + ";")
            return
        fill, line = block_colors[u.blocks[0].block]
        out.append(f"{indent}{quote(u.id)} " + _attrs(
            label=_html_label(rows, "normal"), fillcolor=fill, color=line, penwidth="2",
            peripheries="2" if u.kind == "fold" else None, group=group, tooltip=_tooltip(u, comp)) + ";")

    def emit_cluster(c: Cluster, indent: str) -> None:
        b = c.block
        lvl = len(b.scope) - 1
        label = Html(f'<<B>{_esc(b.block)}</B> {_esc(b.scope[-1])}<FONT POINT-SIZE="10" COLOR="#444444">'
                     f'   {_esc(shape_text(comp.types[b.output].shape))} · {_esc(_params_text(c.counts))} · '
                     f'{_esc(human(c.counts.flops))} FLOPs</FONT>>')
        out.append(f"{indent}subgraph {quote(c.id)} {{")
        out.append(f"{indent}  graph " + _attrs(label=label, style="rounded,filled",
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
    col_of: dict[str, int] = {}
    column_index = {key: ci for ci, col in enumerate(view.columns) for key in col}
    for u in view.units:
        col_of[u.id] = column_index[_item_key(u)]
    heads: list[str] = []
    for ci, col in enumerate(view.columns):
        if wrapped:
            out.append(f"  subgraph {quote(f'cluster:column:{ci + 1}')} {{")  # ':' is in no block scope
            out.append("    graph [style=invis, label=\"\", margin=\"4\"];")
        for key in col:
            emit_item(key, "    " if wrapped else "  ")
        if wrapped:
            out.append("  }")
        first_key = col[0]
        heads.append(_first_unit(view, first_key))

    for a, b in view.edges:
        attrs: dict[str, Any] = {}
        if (a, b) in view.skips:
            attrs.update(color=SKIP_COLOR, penwidth="1.4")
        if wrapped and col_of.get(a) != col_of.get(b):
            # The chain continues at the top of the next column (TB) or the start of the next row (LR): leave
            # the tail sideways towards it and enter the head from the side it comes from.
            tail, head = ("e", "w") if rankdir == "TB" else ("s", "n")
            attrs.update(constraint="false", style="dashed", color="#8a8a8a", tailport=tail, headport=head)
        out.append(f"  {quote(a)} -> {quote(b)}" + (" " + _attrs(**attrs) if attrs else "") + ";")
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


# ---------------------------------------------------------------------------------------------------------------
# rendering
# ---------------------------------------------------------------------------------------------------------------

class GraphvizMissing(UsageError):
    """Graphviz (the `dot` program or the `graphviz` package) is not installed: rendering is impossible here."""


def missing_dot_message(fmt: str) -> str:
    return (f"Graphviz's `dot` program is needed to render {fmt}; install it with `apt-get install graphviz` "
            f"(Debian/Ubuntu), `brew install graphviz` (macOS) or see https://graphviz.org/download/; "
            f"`-f dot` writes the DOT text without it")


def render(comp: Any, fmt: str = "svg", **options: Any) -> bytes:
    """The diagram as bytes of ``fmt`` (svg, png, pdf or dot). Other keyword arguments go to :func:`to_dot`.

    Raises:
        archcompiler.diagnostics.UsageError: Graphviz (the ``dot`` program or the ``graphviz`` package) is missing, or
            ``dot`` failed.
    """
    if fmt not in FORMATS:
        raise ValueError(f"format must be one of {', '.join(FORMATS)}. Received: {fmt!r}")
    text = to_dot(comp, **options)
    if fmt == "dot":
        return text.encode("utf-8")
    return pipe(text, fmt)


def pipe(text: str, fmt: str) -> bytes:
    """Runs Graphviz's ``dot`` on DOT ``text``; returns the rendered bytes."""

    if shutil.which("dot") is None:
        raise GraphvizMissing(missing_dot_message(fmt))
    try:
        import graphviz
    except ImportError:
        raise GraphvizMissing(f"the `graphviz` Python package is needed to render {fmt}; install it with "
                         f"`pip install 'archcompiler[render]'` (or `pip install graphviz`); `-f dot` writes the "
                         f"DOT text without it") from None
    try:
        return graphviz.Source(text, engine="dot").pipe(format=fmt, quiet=True)
    except graphviz.ExecutableNotFound:
        raise GraphvizMissing(missing_dot_message(fmt)) from None
    except graphviz.CalledProcessError as e:
        err = (e.stderr or b"").decode("utf-8", "replace").strip() if isinstance(e.stderr, bytes) else str(e.stderr)
        raise UsageError(f"Graphviz's dot failed to render {fmt}: {err or e}") from None


def render_file(comp: Any, out: Union[str, Path], fmt: str = "svg", level: str = "block", depth: Depth = None,
                fold: bool = False, rankdir: str = "TB") -> Path:
    """Renders the diagram into ``out`` (written atomically); returns the path written."""
    from .files import write_atomic

    path = Path(out)
    data = render(comp, fmt, level=level, depth=depth, fold=fold, rankdir=rankdir)
    write_atomic(path, data)
    return path
