"""Shape inference: each node's output type from its inputs, by the layer's registered rule.

A node whose inputs failed is skipped quietly (its cause is already reported), so one bad layer gives one error.
The graph may be partial (expansion failed somewhere: the entries that failed and whatever reads them are not in
it); every node that is there is inferred, so that a shape error is reported next to an unrelated mistake.
The table is keyed by tensor reference (see ir.py): a node's name for its (first) output, ``name:output`` for each
further output of a node with several.
"""

from __future__ import annotations

from typing import Any, Optional

from .diagnostics import Collector, CompileError, Diagnostic
from .ir import Graph, TensorType
from .layers import REGISTRY, ShapeError


def infer_node(op: str, params: Any, ins: list[TensorType], input_names: tuple[str, ...] = (),
               several: bool = False) -> tuple[TensorType, ...]:
    """The types of one layer's outputs (one, or one per output name of a layer with ``several``) from its inputs'
    types, given in the order of ``input_names`` when the layer takes named inputs: the rule every stage uses (this
    one, and expansion when a block reads a shape). Raises ShapeError."""
    defn = REGISTRY[op]
    shapes: list[Any] = [t.shape for t in ins]
    if input_names:
        shapes = defn.arrange(input_names, shapes)
    out = defn.infer(params, shapes)
    dtype: Optional[str] = getattr(params, "dtype", None) if op == "Input" else defn.dtype
    dtype = dtype or (ins[0].dtype if ins else "float32")
    return tuple(TensorType(tuple(s), dtype) for s in out) if several else (TensorType(tuple(out), dtype),)


def infer_partial(graph: Graph) -> tuple[dict[str, TensorType], list[Diagnostic]]:
    """Infers every tensor's type it can; returns the types and the shape errors (E400-E402), each at the layer
    that cannot take its inputs."""
    types: dict[str, TensorType] = {}
    diags = Collector()
    for node in graph.nodes:
        if any(i not in types for i in node.inputs):
            continue
        try:
            outs = infer_node(node.op, node.params, [types[i] for i in node.inputs], node.input_names,
                              bool(node.outputs))
            types.update(zip(node.tensors, outs))
        except ShapeError as e:
            diags.add(e.code, f"layer '{node.name}' ({node.op}): {e}", node.span, chain=node.chain)
    return types, diags.items


def infer(graph: Graph, sources: dict | None = None) -> dict[str, TensorType]:
    """Infers every tensor's type.

    Raises:
        CompileError: shape errors (E400-E402), each at the layer that cannot take its inputs.
    """
    types, problems = infer_partial(graph)
    if problems:
        raise CompileError(problems, sources)
    return types
