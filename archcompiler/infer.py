"""Shape inference: each node's output type from its inputs, by the layer's registered rule.

A node whose inputs failed is skipped quietly (its cause is already reported), so one bad layer gives one error.
The table is keyed by tensor reference (see ir.py): a node's name for its (first) output, ``name:output`` for each
further output of a node with several.
"""

from __future__ import annotations

from .diagnostics import Collector, CompileError
from .ir import Graph, TensorType
from .layers import REGISTRY, ShapeError


def infer(graph: Graph, sources: dict | None = None) -> dict[str, TensorType]:
    """Infers every tensor's type.

    Raises:
        CompileError: shape errors (E400-E402), each at the layer that cannot take its inputs.
    """
    types: dict[str, TensorType] = {}
    diags = Collector()
    for node in graph.nodes:
        if any(i not in types for i in node.inputs):
            continue
        defn = REGISTRY[node.op]
        ins = [types[i].shape for i in node.inputs]
        if node.input_names:
            ins = defn.arrange(node.input_names, ins)
        try:
            out = defn.infer(node.params, ins)
            shapes = [tuple(s) for s in out] if node.outputs else None
            shape = tuple(out) if shapes is None else shapes[0]
        except ShapeError as e:
            diags.add(e.code, f"layer '{node.name}' ({node.op}): {e}", node.span, chain=node.chain)
            continue
        dtype = getattr(node.params, "dtype", None) if node.op == "Input" else defn.dtype
        dtype = dtype or (types[node.inputs[0]].dtype if node.inputs else "float32")
        types[node.name] = TensorType(shape, dtype)
        if shapes is not None:  # the further outputs of a layer with several
            for ref, s in zip(node.tensors[1:], shapes[1:]):
                types[ref] = TensorType(s, dtype)
    if diags:
        raise CompileError(diags.items, sources)
    return types
