"""The layout of a diagram: the main line kept straight, long chains wrapped into columns, and what crosses them.

:func:`plan` is the view (:func:`.view.select`) plus its layout:

* the spine, the longest chain of boxes, drawn straight so that branches bend around it;
* columns (rows with ``rankdir=LR``): a chain longer than a screen is cut where every edge that crosses joins the
  two neighbouring top-level items, preferably where the spatial size changes (a stage boundary), into about
  ``sqrt(length)`` columns;
* at layer level, the edges that cross a cut (the main line, and the shortcut of the first block of the next
  column) are broken into labelled stubs, so that no edge runs from the end of one column to the next behind the
  clusters: a ``→ res3a`` stub at the end of the column, a ``from res2c`` stub at the start of the next one, from
  which the edges go on (a shortcut stays a shortcut). At block level one edge crosses each cut and is drawn
  dashed from the end of a column to the start of the next.
"""

from __future__ import annotations

import bisect
import heapq
import math
from typing import Any, Optional

from .view import Depth, Link, Unit, View, select

#: Wrapping: a chain longer than this many inches (estimated) is split into columns.
WRAP_LIMIT_IN = {"block": 30.0, "layer": 40.0}

#: Estimated inches per rank along the layout direction, and across it per column (by level and rankdir).
_EXTENT = {("block", "TB"): (1.3, 3.4), ("block", "LR"): (2.6, 1.0),
           ("layer", "TB"): (0.75, 4.5), ("layer", "LR"): (2.2, 1.6)}


def plan(comp: Any, level: str = "block", depth: Depth = None, fold: bool = False,
         rankdir: str = "TB", columns: Optional[int] = None) -> View:
    """Decides what the diagram shows and where (see the package docstring for ``level``, ``depth`` and
    ``fold``).

    ``columns`` forces the number of columns of the wrapped layout (1: no wrapping); None chooses it.
    """
    view = select(comp, level, depth, fold, rankdir)
    view.columns = _columns(view, comp.types, rankdir, columns)
    view.spine = spine(view.units, view.edges)
    if level == "layer":
        continuations(view, comp)
    return view


def levels(units: list[Unit], edges: list[tuple[str, str]]) -> dict[str, int]:
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
    lv = levels(units, edges)
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


# ---------------------------------------------------------------------------------------------------------------
# wrapping long chains into columns
# ---------------------------------------------------------------------------------------------------------------

def item_key(u: Unit) -> Any:
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
        key = item_key(u)
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
            lv = levels(members[k], inner.get(k, []))
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
        # (An output marker stays with the layer it follows.)
        if crossing == 1 and (c - 1, c) in item_edges and not str(items[c]).startswith("output:"):
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
# continuation stubs
# ---------------------------------------------------------------------------------------------------------------

def item_name(view: View, key: Any) -> str:
    """What a reader calls a top-level item: the block instance of a cluster, or the box's layer or block."""
    if isinstance(key, tuple):
        return key[0]
    u = view.unit(key)
    if u.kind in ("block", "fold"):
        return u.blocks[0].scope[-1]
    return u.output


def continuations(view: View, comp: Any) -> None:
    """Breaks every edge between two columns into two stubs: a ``to:N:TAIL`` box at the end of the column the
    edge leaves (one per box the edges leave) and a ``from:N:TAIL`` box at the start of column N, which the edges
    then leave. A shortcut among them stays a shortcut, from the ``from`` stub."""
    if len(view.columns) < 2:
        return
    column_index = {key: ci for ci, col in enumerate(view.columns) for key in col}
    col_of = {u.id: column_index[item_key(u)] for u in view.units}
    edges: list[tuple[str, str]] = []
    skips: set[tuple[str, str]] = set()
    stubs: dict[tuple[str, int], tuple[str, str]] = {}
    heads: dict[int, list[str]] = {}
    tails: dict[int, list[str]] = {}
    for a, b in view.edges:
        ca, cb = col_of[a], col_of[b]
        if ca == cb:
            edges.append((a, b))
            if (a, b) in view.skips:
                skips.add((a, b))
            continue
        key = (a, cb)
        if key not in stubs:
            n = cb + 1
            out_id, in_id = f"to:{n}:{a}", f"from:{n}:{a}"
            stubs[key] = (out_id, in_id)
            source = item_name(view, item_key(view.unit(a)))
            target = item_name(view, item_key(view.unit(b)))
            tail_unit = view.unit(a)
            view.add(Unit(out_id, "stub", (), tail_unit.first, output=tail_unit.output,
                          link=Link("out", a, source, target, n)))
            view.add(Unit(in_id, "stub", (), view.unit(b).first, output=tail_unit.output,
                          link=Link("in", a, source, target, n)))
            tails.setdefault(ca, []).append(out_id)
            heads.setdefault(cb, []).append(in_id)
            edges.append((a, out_id))
        in_id = stubs[key][1]
        edges.append((in_id, b))
        if (a, b) in view.skips:
            skips.add((in_id, b))
    view.edges, view.skips = edges, skips
    for ci, col in enumerate(view.columns):
        view.columns[ci] = heads.get(ci, []) + col + tails.get(ci, [])
