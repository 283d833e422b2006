"""The view of a diagram: which boxes and clusters are drawn, which edges join them, and which are shortcuts.

From the IR graph and its block instances, :func:`select` decides, for a level (``block`` or ``layer``), a depth and
``fold``, which IR layers each box holds, which block instances are opened into clusters, and the edges between
boxes. Where the boxes go (columns, the straight main line, continuation stubs) is :mod:`.layout`'s job.

Shortcuts (:func:`shortcuts`) are decided on the IR graph, once: an identity or projection skip connection that
carries a tensor past a longer main path into an ``Add``. Parallel branches joined by a Concatenate (an Inception
module, a SqueezeNet fire module), or branches of similar work joined by an Add, are not shortcuts.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Iterable, Optional, Union

from ...ir import BlockInstance, Node, node_of, output_of
from ...stats import Counts

LEVELS = ("block", "layer")

Depth = Union[int, str, None]


@dataclass(frozen=True)
class Link:
    """What a continuation stub of a wrapped layout stands for: the edges leaving ``tail`` that continue in the
    next column (see :func:`archcompiler.backends.dot.layout.continuations`).

    Attributes:
        side: ``out`` (the stub at the end of the column the edges leave) or ``in`` (at the start of the next).
        tail: the id of the box the edges leave.
        source: the name of the top-level item holding ``tail`` (a block instance or a layer).
        target: the name of the top-level item the edges enter.
        column: the 1-based number of the column (or row) the edges continue in.
    """

    side: str
    tail: str
    source: str
    target: str
    column: int


@dataclass
class Unit:
    """One box of the diagram.

    Attributes:
        id: the DOT node id (an IR layer name, ``block:`` + scope path, ``fold:`` + first..last, ``output:`` + name;
            continuation stubs ``to:N:`` / ``from:N:`` + the id of the box the edges leave, N the next column).
        kind: ``layer``, ``block``, ``fold``, ``output`` or ``stub``.
        parent: the scope of the cluster drawing it (``()`` at top level).
        first: index of its first IR layer (the drawing order).
        layer: the IR layer of a ``layer`` box (or the output layer of an ``output`` marker).
        blocks: the block instance of a ``block`` box; every instance of a ``fold`` box.
        counts: parameters and FLOPs of everything in the box (zero for output markers and stubs).
        output: the IR layer whose shape the box shows.
        members: names of the IR layers in the box.
        link: what a ``stub`` stands for.
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
    link: Optional[Link] = None


@dataclass
class Cluster:
    """An opened block instance drawn as a cluster around its parts."""

    id: str
    block: BlockInstance
    first: int
    counts: Counts


@dataclass
class View:
    """What a diagram shows: boxes, clusters, edges between boxes (in a stable order), the shortcut edges among
    them (``skips``) and every shortcut of the graph by its Add, and (set by the layout) the columns and the main
    line."""

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
    #: Edges that carry further outputs of a layer with several (``state_h``), with those outputs' names.
    edge_labels: dict[tuple[str, str], str] = field(default_factory=dict)
    shortcuts: dict[str, "Shortcut"] = field(default_factory=dict)

    def unit(self, uid: str) -> Unit:
        return self._index[uid]

    def add(self, unit: Unit) -> None:
        """Adds a box (the layout's continuation stubs)."""
        self.units.append(unit)
        self._index[unit.id] = unit

    def __post_init__(self) -> None:
        self._index = {u.id: u for u in self.units}

    @property
    def boxes(self) -> list[Unit]:
        """The boxes that stand for parts of the network (output markers and stubs excluded)."""
        return [u for u in self.units if u.kind not in ("output", "stub")]


def normalise_depth(level: str, depth: Depth) -> Optional[int]:
    """The number of block levels to open (None: all), checked; None picks the level's default."""
    if level not in LEVELS:
        raise ValueError(f"level must be one of {', '.join(LEVELS)}. Received: {level!r}")
    if depth is None:
        return 1 if level == "block" else None
    if depth == "all":
        return None
    if isinstance(depth, bool) or not isinstance(depth, int) or depth < 1:
        raise ValueError(f"depth must be a positive integer, 'all' or None. Received: {depth!r}")
    return depth


def select(comp: Any, level: str = "block", depth: Depth = None, fold: bool = False,
           rankdir: str = "TB") -> View:
    """The boxes, clusters and edges of the diagram (see the package docstring for ``level``, ``depth`` and
    ``fold``); the columns and the main line are left to :func:`archcompiler.backends.dot.layout.plan`."""
    d = normalise_depth(level, depth)
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
    found = shortcuts(comp)
    shortcut_edges = {(s.tail, s.merge) for s in found.values()}
    edges, skips = _edges(graph.nodes, owner, shortcut_edges)
    if fold:
        ordered, owner = _fold(ordered, edges, owner, comp)
        edges, skips = _edges(graph.nodes, owner, shortcut_edges)
    # Output markers, after the box holding each output.
    for o in graph.outputs:
        ordered.append(Unit("output:" + o, "output", (), len(graph.nodes), layer=graph.node(o), output=o))
        edges.append((owner[node_of(o)], "output:" + o))
    return View(level, d, fold, rankdir, ordered, clusters, edges, skips, shortcuts=found,
                edge_labels=_edge_labels(graph.nodes, owner))


def _edge_labels(nodes: Iterable[Node], owner: dict[str, str]) -> dict[tuple[str, str], str]:
    """The names of the further outputs (``lstm:state_h``) each edge between boxes carries, when it carries
    only such outputs: the edge from an LSTM to the Concatenate of its states says ``state_h, state_c``."""
    named: dict[tuple[str, str], list[str]] = {}
    plain: set[tuple[str, str]] = set()
    for n in nodes:
        for i in n.inputs:
            e = (owner[node_of(i)], owner[n.name])
            if e[0] == e[1]:
                continue
            out = output_of(i)
            if out:
                named.setdefault(e, []).append(out)
            else:
                plain.add(e)
    return {e: ", ".join(dict.fromkeys(names)) for e, names in named.items() if e not in plain}


def _edges(nodes: Iterable[Node], owner: dict[str, str],
           shortcut_edges: set[tuple[str, str]]) -> tuple[list[tuple[str, str]], set[tuple[str, str]]]:
    """The edges between boxes in graph order, and those among them that are shortcuts: every IR edge they stand
    for is the last edge of a shortcut (so the edge into a block that holds both a main path and the Add its
    identity shortcut ends in is not one)."""
    all_short: dict[tuple[str, str], bool] = {}
    for n in nodes:
        for i in n.sources:
            e = (owner[i], owner[n.name])
            if e[0] != e[1]:
                all_short[e] = all_short.get(e, True) and (i, n.name) in shortcut_edges
    return list(all_short), {e for e, short in all_short.items() if short}


def _fold(units: list[Unit], edges: list[tuple[str, str]], owner: dict[str, str],
          comp: Any) -> tuple[list[Unit], dict[str, str]]:
    """Folds runs of chained block boxes of one block with the same output shape and counts into ``xN`` boxes;
    returns the boxes and the new owner of every IR layer."""
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
        return units, owner
    return result, {k: rename.get(v, v) for k, v in owner.items()}


# ---------------------------------------------------------------------------------------------------------------
# shortcuts
# ---------------------------------------------------------------------------------------------------------------

#: The merges a residual shortcut ends in.
RESIDUAL_MERGES = ("Add",)

#: Layers a projection shortcut may consist of (besides 1x1 convolutions): it changes the shape of the tensor it
#: carries (stride, channels, scale), not what the tensor means.
_PROJECTION_OPS = ("BatchNormalization", "LayerNormalization", "AveragePooling2D", "MaxPooling2D")


@dataclass(frozen=True)
class Shortcut:
    """A skip connection: the output of ``source`` carried into the Add ``merge`` past a longer main path, as it is
    (``path`` empty: identity) or through a projection (``path``: its layers, in data order)."""

    merge: str
    source: str
    path: tuple[str, ...]

    @property
    def tail(self) -> str:
        """The input of the Add the shortcut arrives by."""
        return self.path[-1] if self.path else self.source


def _is_projection(node: Node) -> bool:
    if node.op in _PROJECTION_OPS:
        return True
    if node.op in ("Conv1D", "Conv2D"):
        k = node.params.kernel_size  # type: ignore[attr-defined]
        return all(x == 1 for x in (k if isinstance(k, tuple) else (k,)))
    return False


def _longest_path(graph: Any, source: str, target: str) -> int:
    """The number of layers on the longest path from ``source`` (excluded) to ``target`` (included); -1 when
    ``target`` does not depend on ``source``. Only the layers between the two (in topological order) are read."""
    lo, hi = graph.index[source], graph.index[target]
    if hi <= lo:
        return 0 if hi == lo else -1
    dist = {source: 0}
    for n in graph.nodes[lo + 1:hi + 1]:
        d = max((dist[i] for i in n.sources if i in dist), default=-1)
        if d >= 0:
            dist[n.name] = d + 1
    return dist.get(target, -1)


def shortcuts(comp: Any) -> dict[str, Shortcut]:
    """The shortcut of each Add that has one, by the Add's name.

    An input of an Add arrives by a shortcut when, walking back from it through layers no one else reads, only
    projection layers (1x1 convolutions, normalizations, window pooling) lie between it and a tensor that other
    layers read too (the fork), and another input of the Add depends on the fork through a longer path (the main
    path it bypasses). Of several such inputs the shortest wins (the first on ties). An Add of parallel branches
    none of which is an identity or projection, or whose branches are equally long, has no shortcut.
    """
    graph = comp.graph
    readers: dict[str, int] = {n.name: 0 for n in graph.nodes}
    for n in graph.nodes:
        for i in n.sources:
            readers[i] += 1
    found: dict[str, Shortcut] = {}
    for m in graph.nodes:
        if m.op not in RESIDUAL_MERGES or len(m.inputs) < 2:
            continue
        best: Optional[tuple[int, str, tuple[str, ...]]] = None
        for j, i in enumerate(m.sources):
            path: list[str] = []
            cur: Optional[str] = i
            while cur is not None and readers[cur] == 1:  # read by this branch only: walk back
                node = graph.node(cur)
                if not _is_projection(node) or len(node.inputs) != 1:
                    cur = None
                    break
                path.append(cur)
                cur = node.sources[0]
            if cur is None or (best is not None and len(path) >= best[0]):
                continue
            if any(_longest_path(graph, cur, k) > len(path) for jj, k in enumerate(m.sources) if jj != j):
                best = (len(path), cur, tuple(reversed(path)))
        if best is not None:
            found[m.name] = Shortcut(m.name, best[1], best[2])
    return found
