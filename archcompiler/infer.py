"""Shape inference: each node's output type from its inputs, by the layer's registered rule.

A node whose inputs failed is skipped quietly (its cause is already reported), so one bad layer gives one error.
The graph may be partial (expansion failed somewhere: the entries that failed and whatever reads them are not in
it); every node that is there is inferred, so that a shape error is reported next to an unrelated mistake.
"""

from __future__ import annotations

from typing import Any, Optional

from .diagnostics import Collector, CompileError, Diagnostic
from .ir import Graph, TensorType
from .layers import REGISTRY, ShapeError


def infer_node(op: str, params: Any, ins: list[TensorType]) -> TensorType:
    """The output type of one layer from its inputs' types (the rule every stage uses: this one, and expansion
    when a block reads a shape). Raises ShapeError."""
    shape = tuple(REGISTRY[op].infer(params, [t.shape for t in ins]))
    dtype: Optional[str] = getattr(params, "dtype", None) if op == "Input" else None
    return TensorType(shape, dtype or (ins[0].dtype if ins else "float32"))


def infer_partial(graph: Graph) -> tuple[dict[str, TensorType], list[Diagnostic]]:
    """Infers every tensor's type it can; returns the types and the shape errors (E400-E402), each at the layer
    that cannot take its inputs."""
    types: dict[str, TensorType] = {}
    diags = Collector()
    for node in graph.nodes:
        if any(i not in types for i in node.inputs):
            continue
        try:
            types[node.name] = infer_node(node.op, node.params, [types[i] for i in node.inputs])
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
