"""The intermediate representation: a flat, immutable graph of layers in topological order, and its text dump."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any, Optional

from .diagnostics import Frame
from .layers.base import LayerParams, Shape
from .source import Span


@dataclass(frozen=True, slots=True)
class TensorType:
    """The type of a tensor: its shape without the batch dimension, and its element type."""

    shape: Shape
    dtype: str = "float32"


@dataclass(frozen=True, slots=True)
class Node:
    """One layer of the expanded network.

    Attributes:
        name: the Keras layer name (unique in the graph).
        op: the registry key of the layer type (``Conv2D``).
        params: the layer's validated arguments.
        inputs: names of the nodes whose outputs feed this one, in order.
        scope: the block instances this node sits in, outermost first (instance names).
        span: where the entry that made this node is written.
        chain: the block expansions that led here, outermost first.
        trainable: False freezes the layer's weights (they count as non-trainable).
    """

    name: str
    op: str
    params: LayerParams
    inputs: tuple[str, ...]
    scope: tuple[str, ...] = ()
    span: Optional[Span] = None
    chain: tuple[Frame, ...] = ()
    trainable: bool = True


@dataclass(frozen=True, slots=True)
class BlockInstance:
    """One use of a block: its instance name (the path of scopes), the block's name and where it was called."""

    scope: tuple[str, ...]
    block: str
    span: Optional[Span]
    inputs: tuple[str, ...]
    output: str


@dataclass(frozen=True, slots=True)
class Graph:
    """The expanded network: nodes in topological order, its inputs and outputs, and its block instances."""

    name: str
    nodes: tuple[Node, ...]
    inputs: tuple[str, ...]
    outputs: tuple[str, ...]
    blocks: tuple[BlockInstance, ...] = ()
    index: dict[str, int] = field(default_factory=dict, compare=False, repr=False)

    def __post_init__(self) -> None:
        if not self.index:
            object.__setattr__(self, "index", {n.name: i for i, n in enumerate(self.nodes)})

    def node(self, name: str) -> Node:
        """The node called ``name``."""
        return self.nodes[self.index[name]]

    def consumers(self) -> dict[str, list[str]]:
        """For each node, the names of the nodes that read its output."""
        out: dict[str, list[str]] = {n.name: [] for n in self.nodes}
        for n in self.nodes:
            for i in n.inputs:
                out[i].append(n.name)
        return out


#: Arguments shown in the IR dump even when left at their default.
_ALWAYS = ("shape",)


def _value_text(v: Any) -> str:
    if hasattr(v, "to_config"):
        v = v.to_config()
    if isinstance(v, tuple):
        v = list(v)
    return json.dumps(v, sort_keys=True, separators=(",", ":"))


def dump(graph: Graph, types: dict[str, TensorType] | None = None) -> str:
    """A stable, readable text form of the graph (golden tests compare it); arguments left at their Keras default
    are not shown::

        %conv1 = Conv2D(%zero_padding2d) {filters=64,kernel_size=[7,7],...} -> (32, 32, 64)  @stage1
    """
    lines = [f"graph {graph.name}"]
    for n in graph.nodes:
        args = ",".join(f"{k}={_value_text(getattr(n.params, k))}" for k in type(n.params).model_fields
                        if k in n.params.model_fields_set or k in _ALWAYS)
        ins = ", ".join("%" + i for i in n.inputs)
        shape = f" -> {tuple(types[n.name].shape)}" if types and n.name in types else ""
        scope = f"  @{'/'.join(n.scope)}" if n.scope else ""
        frozen = " frozen" if not n.trainable else ""
        lines.append(f"%{n.name} = {n.op}({ins}) {{{args}}}{shape}{frozen}{scope}")
    lines.append("outputs " + ", ".join("%" + o for o in graph.outputs))
    return "\n".join(lines) + "\n"
