"""Comparing two compiled specs: what changes in parameters, FLOPs, MACs and shapes, per block instance and in
total, and which layers are added, removed or changed (with the changed arguments). No TensorFlow involved.

Entries are matched by what the spec says, not by Keras's automatic names, which count the layers (and block
instances) of a type made so far and so shift when one is added earlier. A layer or block instance named in the
spec matches the one of that name (:func:`layer_keys`); one with an automatic name (``conv2d_5``,
``residual_3``) matches by place: the block instance it sits in (matched the same way) and its ordinal among the
layers of its type with automatic names directly in that instance (among the instances of its block in its
parent). A matched entry whose automatic name differs is *renamed*; that alone is no change. Entries come in the
order of B's graph; an entry only in A comes right after the entry that precedes it in A (or first, when nothing
does). :func:`diff` returns an immutable :class:`Diff`; :data:`FORMATS` holds its writers (text, JSON, Markdown).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any, Callable, Hashable, Optional, Sequence, TypeVar

from .ir import _value_text, node_of, output_of
from .stats import Counts

#: The version of the JSON form (``archc diff --format json``); raised when a key changes meaning or goes away.
JSON_VERSION = 1

ADDED, REMOVED, CHANGED, UNCHANGED = "added", "removed", "changed", "unchanged"

K = TypeVar("K", bound=Hashable)


@dataclass(frozen=True, slots=True)
class Side:
    """One of the two compiled specs: its file, model name and parameter overrides."""

    path: str
    name: str
    overrides: tuple[tuple[str, Any], ...]


@dataclass(frozen=True, slots=True)
class Change:
    """One figure in A and in B (None where that side has none, or where it is unknown)."""

    a: Any
    b: Any

    @property
    def delta(self) -> Optional[int]:
        """``b - a`` for counts known on both sides, else None."""
        if isinstance(self.a, int) and isinstance(self.b, int):
            return self.b - self.a
        return None

    @property
    def differs(self) -> bool:
        return self.a != self.b


@dataclass(frozen=True, slots=True)
class BlockDiff:
    """One block instance: its path of instance names in A and in B (``scopes``; None on a side without it)."""

    scopes: Change
    status: str
    block: Change
    output_shape: Change
    params: Change
    flops: Change
    macs: Change

    @property
    def scope(self) -> tuple[str, ...]:
        """The instance's path in B (in A for a removed one)."""
        return self.scopes.a if self.scopes.b is None else self.scopes.b

    @property
    def renamed(self) -> bool:
        """True for an instance of both sides whose path of names differs (automatic names only)."""
        return self.scopes.a is not None and self.scopes.b is not None and self.scopes.differs

    @property
    def level(self) -> int:
        return len(self.scope) - 1


@dataclass(frozen=True, slots=True)
class ArgChange:
    """An argument of a layer whose value differs (values as the IR dump writes them; None: no such argument)."""

    name: str
    a: Optional[str]
    b: Optional[str]


@dataclass(frozen=True, slots=True)
class LayerDiff:
    """One layer: its names, type, scope, inputs, output shapes and counts on both sides, and its arguments that
    differ. ``inputs_differ`` and ``scope_differs`` compare what the names denote: the inputs are other layers (or
    the same layers under other automatic names), the scope other block instances."""

    names: Change
    status: str
    type: Change
    scope: Change
    inputs: Change
    output_shape: Change
    params: Change
    flops: Change
    macs: Change
    arguments: tuple[ArgChange, ...] = ()
    inputs_differ: bool = False
    scope_differs: bool = False

    @property
    def name(self) -> str:
        """The layer's name in B (in A for a removed layer)."""
        return self.names.a if self.names.b is None else self.names.b

    @property
    def renamed(self) -> bool:
        """True for a layer of both sides whose (automatic) name differs."""
        return self.names.a is not None and self.names.b is not None and self.names.differs


@dataclass(frozen=True, slots=True)
class Diff:
    """The differences between two compiled specs A and B."""

    a: Side
    b: Side
    totals: tuple[tuple[str, Change], ...]
    outputs: tuple[tuple[str, Change], ...]
    blocks: tuple[BlockDiff, ...]
    layers: tuple[LayerDiff, ...]
    output_names: tuple[Change, ...] = ()  # each output's layer name in A and B, in the order of ``outputs``

    @property
    def changed_layers(self) -> tuple[LayerDiff, ...]:
        """The layers added, removed or changed."""
        return tuple(x for x in self.layers if x.status != UNCHANGED)

    def count(self, status: str) -> int:
        """How many layers have ``status``."""
        return sum(1 for x in self.layers if x.status == status)

    @property
    def renamed(self) -> int:
        """How many layers of both sides have another automatic name in B (changed or not)."""
        return sum(1 for x in self.layers if x.renamed)

    @property
    def differs(self) -> bool:
        """True when the networks differ in any layer, output or figure (the model's name alone does not count)."""
        return (any(x.status != UNCHANGED for x in self.layers) or any(c.differs for _, c in self.outputs)
                or any(b.status != UNCHANGED for b in self.blocks) or any(c.differs for _, c in self.totals))


def merge_order(a: Sequence[K], b: Sequence[K]) -> list[K]:
    """B's keys in B's order, with each key only in A placed right after the key before it in A."""
    in_b = set(b)
    after: dict[Optional[K], list[K]] = {}
    anchor: Optional[K] = None
    for k in a:
        if k in in_b:
            anchor = k
        else:
            after.setdefault(anchor, []).append(k)
    out = list(after.get(None, []))
    for k in b:
        out.append(k)
        out += after.get(k, [])
    return out


def _status(in_a: bool, in_b: bool, changed: bool) -> str:
    if not in_a:
        return ADDED
    if not in_b:
        return REMOVED
    return CHANGED if changed else UNCHANGED


def _args(params: Any) -> dict[str, str]:
    return {k: _value_text(getattr(params, k)) for k in type(params).model_fields}


def _shapes(comp: Any, node: Any) -> tuple:
    return tuple(comp.types[t].shape for t in node.tensors)


def _total_changes(a: Any, b: Any) -> tuple[tuple[str, Change], ...]:
    ta, tb = a.stats.total, b.stats.total
    return (("params", Change(ta.total, tb.total)), ("trainable_params", Change(ta.trainable, tb.trainable)),
            ("non_trainable_params", Change(ta.non_trainable, tb.non_trainable)),
            ("flops", Change(ta.flops, tb.flops)), ("macs", Change(ta.macs, tb.macs)),
            ("layers", Change(a.layer_count, b.layer_count)))


def _block_order(graph: Any) -> list[tuple[str, ...]]:
    """Block instance scopes in the graph's order, each before the instances inside it (as the summary's rows)."""
    seen: dict[tuple[str, ...], None] = {}
    for n in graph.nodes:
        for k in range(1, len(n.scope) + 1):
            seen.setdefault(n.scope[:k], None)
    for x in graph.blocks:  # an instance without layers of its own
        seen.setdefault(x.scope, None)
    return list(seen)


def instance_keys(graph: Any) -> dict[tuple[str, ...], tuple]:
    """The matching key of each block instance path (and of ``()``, the top level): the parent's key and, for an
    instance named in the spec, ``("name", name)``; for one with an automatic name, ``("auto", block, k)`` with
    ``k`` its ordinal among the instances of that block with automatic names in the same parent."""
    counts: dict[tuple, int] = {}
    own: dict[tuple[str, ...], tuple] = {}
    for x in graph.blocks:  # siblings come in the order they were called
        if x.auto_name:
            k = counts[x.scope[:-1], x.block] = counts.get((x.scope[:-1], x.block), -1) + 1
            own[x.scope] = ("auto", x.block, k)
        else:
            own[x.scope] = ("name", x.scope[-1])
    keys: dict[tuple[str, ...], tuple] = {(): ()}

    def key(scope: tuple[str, ...]) -> tuple:
        if scope not in keys:
            keys[scope] = key(scope[:-1]) + (own.get(scope, ("name", scope[-1])),)
        return keys[scope]
    for scope in own:
        key(scope)
    return keys


def layer_keys(graph: Any, instances: dict[tuple[str, ...], tuple]) -> dict[str, tuple]:
    """The matching key of each layer name: ``("name", name)`` for a name given in the spec; for an automatic
    one, ``("auto", instance key, op, k)`` with ``k`` the layer's ordinal among the layers of its type with
    automatic names directly in its block instance (in graph order)."""
    counts: dict[tuple, int] = {}
    out = {}
    for n in graph.nodes:
        if n.auto_name:
            where = instances.get(n.scope, tuple(("name", s) for s in n.scope))
            k = counts[where, n.op] = counts.get((where, n.op), -1) + 1
            out[n.name] = ("auto", where, n.op, k)
        else:
            out[n.name] = ("name", n.name)
    return out


@dataclass(frozen=True, slots=True)
class _Keys:
    """One side's matching keys: of block instance paths and of layer names."""

    blocks: dict[tuple[str, ...], tuple]
    layers: dict[str, tuple]

    @classmethod
    def of(cls, graph: Any) -> "_Keys":
        blocks = instance_keys(graph)
        return cls(blocks, layer_keys(graph, blocks))

    def ref(self, ref: str) -> tuple:
        """The key of a tensor reference: its layer's key and the output's name (``lstm:state_h``)."""
        return self.layers[node_of(ref)], output_of(ref)


def _blocks(a: Any, b: Any, ka: _Keys, kb: _Keys) -> tuple[BlockDiff, ...]:
    ba = {ka.blocks[x.scope]: x for x in a.graph.blocks}
    bb = {kb.blocks[x.scope]: x for x in b.graph.blocks}
    out = []
    order = merge_order([ka.blocks[s] for s in _block_order(a.graph) if ka.blocks[s] in ba],
                        [kb.blocks[s] for s in _block_order(b.graph) if kb.blocks[s] in bb])
    for key in order:
        xa, xb = ba.get(key), bb.get(key)
        ca = a.stats.blocks.get(xa.scope, Counts()) if xa else None
        cb = b.stats.blocks.get(xb.scope, Counts()) if xb else None
        scopes = Change(xa.scope if xa else None, xb.scope if xb else None)
        block = Change(xa.block if xa else None, xb.block if xb else None)
        shape = Change(a.types[xa.output].shape if xa else None, b.types[xb.output].shape if xb else None)
        params = Change(ca.total if ca else None, cb.total if cb else None)
        flops = Change(ca.flops if ca else None, cb.flops if cb else None)
        macs = Change(ca.macs if ca else None, cb.macs if cb else None)
        changed = any(c.differs for c in (block, shape, params, flops, macs))
        if xa and xb and ca != cb:
            changed = True  # trainable and non-trainable split differently
        out.append(BlockDiff(scopes, _status(xa is not None, xb is not None, changed), block, shape, params,
                             flops, macs))
    return tuple(out)


def _layers(a: Any, b: Any, ka: _Keys, kb: _Keys) -> tuple[LayerDiff, ...]:
    na = {ka.layers[n.name]: n for n in a.graph.nodes}
    nb = {kb.layers[n.name]: n for n in b.graph.nodes}
    out = []
    for key in merge_order(list(na), list(nb)):
        xa, xb = na.get(key), nb.get(key)
        ca = a.stats.nodes[xa.name] if xa else None
        cb = b.stats.nodes[xb.name] if xb else None
        names = Change(xa.name if xa else None, xb.name if xb else None)
        type_ = Change(xa.op if xa else None, xb.op if xb else None)
        scope = Change("/".join(xa.scope) if xa else None, "/".join(xb.scope) if xb else None)
        inputs = Change(xa.inputs if xa else None, xb.inputs if xb else None)
        shape = Change(_shapes(a, xa) if xa else None, _shapes(b, xb) if xb else None)
        params = Change(ca.total if ca else None, cb.total if cb else None)
        flops = Change(ca.flops if ca else None, cb.flops if cb else None)
        macs = Change(ca.macs if ca else None, cb.macs if cb else None)
        arguments: tuple[ArgChange, ...] = ()
        changed = inputs_differ = scope_differs = False
        if xa and xb:
            aa, ab = _args(xa.params), _args(xb.params)
            arguments = tuple(ArgChange(k, aa.get(k), ab.get(k)) for k in merge_order(list(aa), list(ab))
                              if aa.get(k) != ab.get(k))
            if xa.trainable != xb.trainable:
                arguments += (ArgChange("trainable", json.dumps(xa.trainable), json.dumps(xb.trainable)),)
            inputs_differ = [ka.ref(i) for i in xa.inputs] != [kb.ref(i) for i in xb.inputs]
            scope_differs = ka.blocks.get(xa.scope) != kb.blocks.get(xb.scope)
            changed = (bool(arguments) or ca != cb or inputs_differ or scope_differs
                       or any(c.differs for c in (type_, shape, params, flops, macs)))
        out.append(LayerDiff(names, _status(xa is not None, xb is not None, changed), type_, scope, inputs, shape,
                             params, flops, macs, arguments, inputs_differ, scope_differs))
    return tuple(out)


def _outputs(a: Any, b: Any, ka: _Keys, kb: _Keys) -> tuple[tuple[tuple[str, Change], ...], tuple[Change, ...]]:
    oa = {ka.ref(o): o for o in a.graph.outputs}
    ob = {kb.ref(o): o for o in b.graph.outputs}
    outputs, names = [], []
    for key in merge_order(list(oa), list(ob)):
        ra, rb = oa.get(key), ob.get(key)
        outputs.append((ra if rb is None else rb, Change(a.types[ra].shape if ra else None,
                                                         b.types[rb].shape if rb else None)))
        names.append(Change(ra, rb))
    return tuple(outputs), tuple(names)


def _side(comp: Any) -> Side:
    return Side(comp.path, comp.name, tuple(comp.overrides))


def diff(a: Any, b: Any) -> Diff:
    """The differences between the compilations ``a`` and ``b`` (:class:`~archcompiler.pipeline.Compilation`)."""
    ka, kb = _Keys.of(a.graph), _Keys.of(b.graph)
    outputs, output_names = _outputs(a, b, ka, kb)
    return Diff(_side(a), _side(b), _total_changes(a, b), outputs, _blocks(a, b, ka, kb), _layers(a, b, ka, kb),
                output_names)


# ---------------------------------------------------------------------------------------------------------------
# writers
# ---------------------------------------------------------------------------------------------------------------

_TOTAL_LABELS = {"params": "Params", "trainable_params": "  trainable", "non_trainable_params": "  non-trainable",
                 "flops": "FLOPs", "macs": "MACs", "layers": "Layers"}

_MARK = {ADDED: "+", REMOVED: "-", CHANGED: "~", UNCHANGED: " "}


def _num(n: Optional[int]) -> str:
    return "-" if n is None else f"{n:,}"


def _signed(n: Optional[int]) -> str:
    if n is None:
        return "?"
    return f"{n:+,}" if n else "0"


def delta_of(c: Change, status: str) -> Optional[int]:
    """The change of a count for an entry of ``status``: what an added entry brings, minus what a removed one
    had; None when a side's figure is unknown."""
    if status == ADDED:
        return c.b
    if status == REMOVED:
        return None if c.a is None else -c.a
    return c.delta


def _delta(c: Change, status: str = CHANGED) -> str:
    return _signed(delta_of(c, status))


def _shape(s: Optional[tuple]) -> str:
    from .backends.summary import batch_shape_text
    return "-" if s is None else batch_shape_text(s)


def _layer_shape(s: Optional[tuple]) -> str:
    if s is None:
        return "-"
    return _shape(s[0]) if len(s) == 1 else "[" + ", ".join(map(_shape, s)) + "]"


def _shape_change(c: Change, fmt: Callable[[Any], str] = _shape) -> str:
    return fmt(c.a) if not c.differs else f"{fmt(c.a)} -> {fmt(c.b)}"


def _side_text(s: Side) -> str:
    sets = "".join(f" --set {k}={json.dumps(v)}" for k, v in s.overrides)
    return f"{s.path} ({s.name}){sets}"


def _visible(d: Diff, depth: Optional[int]) -> list[BlockDiff]:
    return [x for x in d.blocks if x.status != UNCHANGED and (depth is None or x.level < depth)]


def _renaming(a: Optional[str], b: Optional[str]) -> str:
    """``b``, or ``a -> b`` when both are there and differ (``a`` alone for an entry only in A)."""
    if b is None or a is None or a == b:
        return a if b is None else b
    return f"{a} -> {b}"


def _block_name(x: BlockDiff) -> str:
    return _renaming(x.scopes.a[-1] if x.scopes.a else None, x.scopes.b[-1] if x.scopes.b else None)


def _block_rows(d: Diff, depth: Optional[int]) -> list[list[str]]:
    rows = []
    for x in _visible(d, depth):
        label = "  " * x.level + f"{_MARK[x.status]} {_block_name(x)} ({x.block.b or x.block.a})"
        if x.block.differs and x.status == CHANGED:
            label += f" was {x.block.a}"
        rows.append([label, _shape_change(x.output_shape), _num(x.params.a), _num(x.params.b),
                     _delta(x.params, x.status), _delta(x.flops, x.status), _delta(x.macs, x.status)])
    return rows


def _layer_lines(x: LayerDiff) -> list[str]:
    """What changed in one layer, one line each (indented below its heading)."""
    lines = []
    if x.status == CHANGED:
        if x.type.differs:
            lines.append(f"type: {x.type.a} -> {x.type.b}")
        lines += [f"{g.name}: {g.a if g.a is not None else '(none)'} -> {g.b if g.b is not None else '(none)'}"
                  for g in x.arguments]
        if x.inputs_differ:
            lines.append(f"inputs: {', '.join(x.inputs.a)} -> {', '.join(x.inputs.b)}")
        if x.scope_differs:
            lines.append(f"scope: {x.scope.a or '(top level)'} -> {x.scope.b or '(top level)'}")
        if x.output_shape.differs:
            lines.append(f"output shape: {_shape_change(x.output_shape, _layer_shape)}")
        if x.params.differs:
            lines.append(f"params: {_num(x.params.a)} -> {_num(x.params.b)} ({_delta(x.params)})")
        if x.flops.differs:
            lines.append(f"FLOPs: {_num(x.flops.a)} -> {_num(x.flops.b)} ({_delta(x.flops)})")
    return lines


def _layer_heading(x: LayerDiff) -> str:
    side = x.scope.b if x.status != REMOVED else x.scope.a
    shape = x.output_shape.b if x.status != REMOVED else x.output_shape.a
    params = x.params.b if x.status != REMOVED else x.params.a
    where = f" @{side}" if side else ""
    tail = f"  {_layer_shape(shape)}, {_num(params)} params" if x.status != CHANGED else ""
    return f"{_MARK[x.status]} {_renaming(x.names.a, x.names.b)} ({x.type.b or x.type.a}){where}{tail}"


def _renamed_text(n: int) -> str:
    """The count of matched entries whose automatic names differ (no change by itself), when there are some."""
    return f"; {n} with another automatic name in B" if n else ""


def _layer_count_line(d: Diff) -> str:
    return (f"{d.count(ADDED)} added, {d.count(REMOVED)} removed, {d.count(CHANGED)} changed, "
            f"{d.count(UNCHANGED)} unchanged" + _renamed_text(d.renamed))


def _block_count_line(d: Diff, depth: Optional[int], rows: int) -> str:
    shown = [x for x in d.blocks if depth is None or x.level < depth]
    unchanged = sum(1 for x in shown if x.status == UNCHANGED)
    return f"{rows} differ, {unchanged} unchanged" + _renamed_text(sum(1 for x in shown if x.renamed))


def _table(head: list[str], body: list[list[str]], left: int) -> list[str]:
    widths = [max(len(head[i]), *(len(r[i]) for r in body)) if body else len(head[i]) for i in range(len(head))]
    def line(cells: list[str]) -> str:
        return "  ".join(f"{c:<{w}}" if i < left else f"{c:>{w}}"
                         for i, (c, w) in enumerate(zip(cells, widths))).rstrip()
    return [line(head), "-" * (sum(widths) + 2 * (len(widths) - 1)), *map(line, body)]


def _output_names(d: Diff, k: int) -> Change:
    """The layer names (tensor references) of the ``k``-th output in A and B."""
    if k < len(d.output_names):
        return d.output_names[k]
    name, c = d.outputs[k]
    return Change(name if c.a is not None else None, name if c.b is not None else None)


def _output_name(d: Diff, k: int) -> str:
    names = _output_names(d, k)
    return _renaming(names.a, names.b)


def _outputs_text(d: Diff) -> list[str]:
    return [f"{_output_name(d, k)}: {_shape_change(c)}" for k, (_, c) in enumerate(d.outputs)]


def _depth_text(depth: Optional[int]) -> str:
    return "all levels" if depth is None else f"{depth} level{'s' if depth != 1 else ''}"


def _text(d: Diff, depth: Optional[int]) -> str:
    out = [f"A: {_side_text(d.a)}", f"B: {_side_text(d.b)}", ""]
    if not d.differs:
        return "\n".join(out + ["no differences", ""])
    totals = [[_TOTAL_LABELS[k], _num(c.a), _num(c.b), _delta(c)] for k, c in d.totals]
    out += _table(["Totals", "A", "B", "Change"], totals, 1)
    out += ["", "Outputs: " + "; ".join(_outputs_text(d)), ""]
    rows = _block_rows(d, depth)
    out.append(f"Block instances ({_depth_text(depth)}): {_block_count_line(d, depth, len(rows))}")
    if rows:
        out += _table(["Block instance (type)", "Output shape", "Params A", "Params B", "Change", "FLOPs change",
                       "MACs change"], rows, 2)
    out += ["", f"Layers: {_layer_count_line(d)}"]
    for x in d.changed_layers:
        out.append(_layer_heading(x))
        out += [f"    {line}" for line in _layer_lines(x)]
    return "\n".join(out) + "\n"


def _md(text: str) -> str:
    return text.replace("|", "\\|")


def _markdown(d: Diff, depth: Optional[int]) -> str:
    out = [f"### `{d.a.name}` -> `{d.b.name}`", "", f"- A: `{_side_text(d.a)}`", f"- B: `{_side_text(d.b)}`", ""]
    if not d.differs:
        return "\n".join(out + ["No differences.", ""])
    out += ["| | A | B | Change |", "|---|--:|--:|--:|"]
    out += [f"| {_TOTAL_LABELS[k].strip()} | {_num(c.a)} | {_num(c.b)} | **{_delta(c)}** |" for k, c in d.totals]
    out += ["", "Outputs: " + "; ".join(f"`{_output_name(d, k)}` `{_shape_change(c)}`"
                                        for k, (_, c) in enumerate(d.outputs)), ""]
    rows = _block_rows(d, depth)
    out.append(f"**Block instances** ({_depth_text(depth)}): {_block_count_line(d, depth, len(rows))}")
    if rows:
        out += ["", "| Block instance (type) | Output shape | Params A | Params B | Change | FLOPs change | "
                    "MACs change |", "|---|---|--:|--:|--:|--:|--:|"]
        for r in rows:
            label = r[0].lstrip(" ")
            indent = "&nbsp;&nbsp;" * ((len(r[0]) - len(label)) // 2)
            out.append(f"| {indent}{_md(label)} | `{r[1]}` | " + " | ".join(r[2:]) + " |")
    out += ["", f"**Layers**: {_layer_count_line(d)}"]
    changed = d.changed_layers
    if changed:
        out += ["", "<details><summary>Layers added, removed and changed</summary>", "", "```diff"]
        for x in changed:
            out.append(_layer_heading(x))
            out += [f"    {line}" for line in _layer_lines(x)]
        out += ["```", "", "</details>"]
    return "\n".join(out) + "\n"


def _value(text: Optional[str]) -> Any:
    """An argument's value for JSON: the value itself when its dump is JSON, else that text."""
    if text is None:
        return None
    try:
        return json.loads(text)
    except ValueError:
        return text


def _change(c: Change, delta: str = "", shape: bool = False) -> dict:
    def v(x: Any) -> Any:
        if shape and x is not None:
            return [list(s) for s in x] if x and isinstance(x[0], tuple) else list(x)
        return list(x) if isinstance(x, tuple) else x
    out = {"a": v(c.a), "b": v(c.b)}
    if delta:
        out["delta"] = delta_of(c, delta)
    return out


def diff_data(d: Diff) -> dict:
    """The diff as a JSON-ready dict with stable key order (docs/cli.md, ``archc diff``, describes every key)."""
    def side(s: Side) -> dict:
        return {"path": s.path, "name": s.name, "overrides": {k: v for k, v in s.overrides}}
    return {
        "version": JSON_VERSION,
        "a": side(d.a),
        "b": side(d.b),
        "differs": d.differs,
        "totals": {k: _change(c, delta=CHANGED) for k, c in d.totals},
        "outputs": [{"name": o, "names": _change(_output_names(d, k)), **_change(c, shape=True)}
                    for k, (o, c) in enumerate(d.outputs)],
        "blocks": [{"scope": "/".join(x.scope), "name": x.scope[-1], "level": x.level, "status": x.status,
                    "scopes": _change(Change(*(None if p is None else "/".join(p) for p in (x.scopes.a, x.scopes.b)))),
                    "block": _change(x.block), "output_shape": _change(x.output_shape, shape=True),
                    "params": _change(x.params, x.status), "flops": _change(x.flops, x.status),
                    "macs": _change(x.macs, x.status)} for x in d.blocks],
        "layer_counts": {s: d.count(s) for s in (ADDED, REMOVED, CHANGED, UNCHANGED)},
        "renamed": {"layers": d.renamed, "blocks": sum(1 for x in d.blocks if x.renamed)},
        "layers": [{"name": x.name, "names": _change(x.names), "status": x.status, "type": _change(x.type),
                    "scope": {**_change(x.scope), "differs": x.scope_differs},
                    "inputs": {**_change(x.inputs), "differs": x.inputs_differ},
                    "output_shapes": _change(x.output_shape, shape=True),
                    "params": _change(x.params, x.status), "flops": _change(x.flops, x.status),
                    "macs": _change(x.macs, x.status),
                    "arguments": [{"name": g.name, "a": _value(g.a), "b": _value(g.b)} for g in x.arguments]}
                   for x in d.changed_layers],
    }


def diff_schema() -> dict:
    """The JSON Schema of :func:`diff_data`'s layout, shipped in the package as ``archcompiler/data/diff.schema.json``."""
    from importlib import resources
    return json.loads(resources.files("archcompiler").joinpath("data/diff.schema.json").read_text(encoding="utf-8"))


def _json(d: Diff, depth: Optional[int]) -> str:
    return json.dumps(diff_data(d), indent=2) + "\n"  # every block and changed layer: depth does not apply


#: The diff's output formats: name -> writer(diff, depth). A new format is a writer and a line here.
FORMATS: dict[str, Callable[[Diff, Optional[int]], str]] = {"text": _text, "json": _json, "markdown": _markdown}


def render(d: Diff, fmt: str = "text", depth: Optional[int] = 1) -> str:
    """Renders ``d`` in one of :data:`FORMATS`; ``depth`` is the number of block levels shown (None: all)."""
    writer = FORMATS.get(fmt)
    if writer is None:
        raise ValueError(f"unknown diff format {fmt!r}; use one of {', '.join(FORMATS)}")
    return writer(d, depth)
