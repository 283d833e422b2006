"""The static summary: a block-aware table like Keras's model.summary(), as text, Markdown or JSON.

Rows follow the graph's order. A block instance is one row with its totals; ``depth`` says how many levels of
blocks are opened (None opens all, showing every layer under its blocks).
"""

from __future__ import annotations

import json
from typing import Any, Callable, Optional

from ..ir import BlockInstance
from ..stats import Counts

FLOPS_CONVENTION = ("FLOPs for a batch of one, as TensorFlow's profiler counts them: a multiply-add is 2 FLOPs; "
                    "bias adds, batch normalization, merges, pooling and softmax are counted; ReLU is not. "
                    "MACs count the multiply-accumulates of convolutions and dense layers.")


def human(n: Optional[int]) -> str:
    """``7755299312`` -> ``7.76G``."""
    if n is None:
        return "?"
    for unit, size in (("T", 10**12), ("G", 10**9), ("M", 10**6), ("K", 10**3)):
        if abs(n) >= size:
            return f"{n / size:.2f}{unit}"
    return str(n)


def batch_shape_text(shape: tuple) -> str:
    """A layer's output shape as Keras's summary prints it, the batch axis first: ``(7, 7, 64)`` ->
    ``(None, 7, 7, 64)``."""
    return "(" + ", ".join(["None", *("None" if d is None else str(d) for d in shape)]) + ")"


def _rows(comp: Any, depth: Optional[int]) -> list[dict]:
    """Display rows: nodes and block instances, each with a nesting level."""
    graph, types, stats = comp.graph, comp.types, comp.stats
    blocks: dict[tuple, BlockInstance] = {b.scope: b for b in graph.blocks}
    emitted: set[tuple] = set()
    rows = []
    for node in graph.nodes:
        s = node.scope
        for k in range(1, len(s) + 1):
            p = s[:k]
            if p in emitted:
                continue
            if depth is not None and k - 1 >= depth:
                break
            emitted.add(p)
            b = blocks.get(p)
            c = stats.blocks.get(p, Counts())
            rows.append({"kind": "block", "level": k - 1, "name": p[-1], "type": b.block if b else "?",
                         "shape": types[b.output].shape if b else (), "counts": c,
                         "open": depth is None or k < depth})
        if depth is None or len(s) < depth:
            rows.append({"kind": "layer", "level": len(s), "name": node.name, "type": node.op,
                         "shape": types[node.name].shape, "counts": stats.nodes[node.name], "open": False,
                         "shapes": [types[t].shape for t in node.tensors]})
    return rows


def summary_data(comp: Any) -> dict:
    """Everything the summary knows, JSON-ready with stable key order."""
    graph, types, stats = comp.graph, comp.types, comp.stats
    t = stats.total
    layer_counts: dict[tuple, int] = {}
    for n in graph.nodes:
        for k in range(1, len(n.scope) + 1):
            layer_counts[n.scope[:k]] = layer_counts.get(n.scope[:k], 0) + 1
    blocks = []
    for b in graph.blocks:
        c = stats.blocks.get(b.scope, Counts())
        nlayers = layer_counts.get(b.scope, 0)
        blocks.append({"scope": "/".join(b.scope), "name": b.scope[-1], "block": b.block, "level": len(b.scope) - 1,
                       "inputs": list(b.inputs), "output": b.output, "output_shape": list(types[b.output].shape),
                       "layers": nlayers, "params": c.total, "trainable_params": c.trainable,
                       "non_trainable_params": c.non_trainable, "flops": c.flops, "macs": c.macs})
    layers = []
    for n in graph.nodes:
        c = stats.nodes[n.name]
        row = {"name": n.name, "type": n.op, "scope": "/".join(n.scope), "inputs": list(n.inputs),
               "output_shape": list(types[n.name].shape), "params": c.total, "trainable_params": c.trainable,
               "non_trainable_params": c.non_trainable, "flops": c.flops, "macs": c.macs, "trainable": n.trainable}
        if n.input_names:
            row["input_names"] = list(n.input_names)
        if n.outputs:  # a layer with several outputs: each by name, with the reference other entries use
            row["outputs"] = [{"name": o, "ref": t, "shape": list(types[t].shape)}
                              for o, t in zip(n.outputs, n.tensors)]
        layers.append(row)
    return {
        "name": graph.name,
        "total_params": t.total,
        "trainable_params": t.trainable,
        "non_trainable_params": t.non_trainable,
        "flops": t.flops,
        "macs": t.macs,
        "num_layers": comp.layer_count,
        "inputs": [{"name": i, "shape": list(types[i].shape), "dtype": types[i].dtype} for i in graph.inputs],
        "outputs": [{"name": o, "shape": list(types[o].shape)} for o in graph.outputs],
        "overrides": {k: v for k, v in comp.overrides},
        "flops_convention": FLOPS_CONVENTION,
        "blocks": blocks,
        "layers": layers,
    }


def render(comp: Any, fmt: str = "text", depth: Optional[int] = 1) -> str:
    """Renders the summary in one of :data:`FORMATS` (``text``, ``json`` or ``markdown``)."""
    writer = FORMATS.get(fmt)
    if writer is None:
        raise ValueError(f"unknown summary format {fmt!r}; use one of {', '.join(FORMATS)}")
    return writer(comp, depth)


def _cells(r: dict) -> list[str]:
    c: Counts = r["counts"]
    marker = "" if r["kind"] == "layer" else ("[-] " if r["open"] else "[+] ")
    label = "  " * r["level"] + marker + f"{r['name']} ({r['type']})"
    shapes = r.get("shapes") or [r["shape"]]
    shape = batch_shape_text(shapes[0]) if len(shapes) == 1 else "[" + ", ".join(map(batch_shape_text, shapes)) + "]"
    return [label, shape, f"{c.total:,}", human(c.flops)]


def _footer(comp: Any) -> list[str]:
    t = comp.stats.total
    return [
        f"Total params: {t.total:,} ({_bytes(t.total)})",
        f"Trainable params: {t.trainable:,} ({_bytes(t.trainable)})",
        f"Non-trainable params: {t.non_trainable:,} ({_bytes(t.non_trainable)})",
        f"FLOPs: {t.flops:,} ({human(t.flops)})" if t.flops is not None else "FLOPs: unknown (a dimension is None)",
        f"MACs: {t.macs:,} ({human(t.macs)})" if t.macs is not None else "MACs: unknown",
        f"Layers: {comp.layer_count} ({len(comp.graph.blocks)} block instances)",
    ]


def _bytes(n: int) -> str:
    b = n * 4
    for unit, size in (("GB", 1024**3), ("MB", 1024**2), ("KB", 1024)):
        if b >= size:
            return f"{b / size:.2f} {unit}"
    return f"{b} B"


def _text(comp: Any, rows: list[dict]) -> str:
    head = ["Layer (type)", "Output Shape", "Param #", "FLOPs"]
    body = [_cells(r) for r in rows]
    widths = [max(len(head[i]), *(len(b[i]) for b in body)) if body else len(head[i]) for i in range(4)]
    def line(cells: list[str]) -> str:
        return (f"{cells[0]:<{widths[0]}}  {cells[1]:<{widths[1]}}  {cells[2]:>{widths[2]}}  "
                f"{cells[3]:>{widths[3]}}").rstrip()
    rule = "-" * (sum(widths) + 6)
    out = [f'Model: "{comp.graph.name}"', rule, line(head), rule.replace("-", "=")]
    out += [line(b) for b in body]
    out += [rule, *_footer(comp), ""]
    return "\n".join(out)


def _markdown(comp: Any, rows: list[dict]) -> str:
    out = [f"### Model `{comp.graph.name}`", "", "| Layer (type) | Output Shape | Param # | FLOPs |",
           "|---|---|--:|--:|"]
    for r in rows:
        cells = _cells(r)
        label = "&nbsp;&nbsp;" * r["level"] + cells[0].strip().replace("|", "\\|")
        if r["kind"] == "block":
            label = f"**{label}**"
        out.append(f"| {label} | `{cells[1]}` | {cells[2]} | {cells[3]} |")
    out.append("")
    out += [f"- {f}" for f in _footer(comp)]
    return "\n".join(out) + "\n"


def _json(comp: Any, depth: Optional[int]) -> str:
    return json.dumps(summary_data(comp), indent=2) + "\n"  # every layer and block: depth does not apply


#: The summary's output formats: name -> writer(comp, depth). A new format is a writer and a line here.
FORMATS: dict[str, Callable[[Any, Optional[int]], str]] = {
    "text": lambda comp, depth: _text(comp, _rows(comp, depth)),
    "json": _json,
    "markdown": lambda comp, depth: _markdown(comp, _rows(comp, depth)),
}
