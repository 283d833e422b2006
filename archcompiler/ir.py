"""The intermediate representation: a flat, immutable graph of layers in topological order, and its text dump.

A tensor is referred to by the name of the node that makes it: ``"lstm"`` is that node's (first) output. A node
with several outputs (``Node.outputs``: LSTM with ``return_state``) makes one more tensor per further output,
``"lstm:state_h"`` (:func:`port`; ``:`` never occurs in a layer name). Node inputs, graph outputs and the keys of the
type table are such references; :func:`node_of` gives the node of one.
"""

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
        inputs: the tensors that feed this one, in order: node names, or ``node:output`` for a further output of a
            node with several (see :func:`port`).
        input_names: for a layer with named inputs (``query``, ``value`` ...), the name of each input, in the
            order of ``inputs`` (the layer type's declared order); empty for positional inputs.
        outputs: the names of the layer's outputs when it has several (``output, state_h, state_c``); empty for a
            layer with one output.
        scope: the block instances this node sits in, outermost first (instance names).
        span: where the entry that made this node is written.
        chain: the block expansions that led here, outermost first.
        trainable: False freezes the layer's weights (they count as non-trainable).
        auto_name: True when the spec gives no name and ``name`` is Keras's automatic one (``conv2d_5``), which
            depends on how many layers of the type come before (``archc diff`` matches such layers by place).
    """

    name: str
    op: str
    params: LayerParams
    inputs: tuple[str, ...]
    scope: tuple[str, ...] = ()
    span: Optional[Span] = None
    chain: tuple[Frame, ...] = ()
    trainable: bool = True
    input_names: tuple[str, ...] = ()
    outputs: tuple[str, ...] = ()
    auto_name: bool = False

    @property
    def sources(self) -> tuple[str, ...]:
        """The names of the nodes whose outputs feed this one (``inputs`` without their output names)."""
        return tuple(node_of(i) for i in self.inputs)

    @property
    def tensors(self) -> tuple[str, ...]:
        """The references of the tensors this node makes: its name, then ``name:output`` for each further one."""
        return (self.name, *(port(self.name, o) for o in self.outputs[1:]))


def port(node: str, output: str) -> str:
    """The reference of the output named ``output`` of ``node`` when it is not the first: ``lstm:state_h``."""
    return f"{node}:{output}"


def node_of(ref: str) -> str:
    """The node a tensor reference belongs to: ``lstm:state_h`` -> ``lstm``, ``dense`` -> ``dense``."""
    return ref.partition(":")[0]


def output_of(ref: str) -> str:
    """The output name of a tensor reference (``lstm:state_h`` -> ``state_h``), ``""`` for a node's first."""
    return ref.partition(":")[2]


@dataclass(frozen=True, slots=True)
class BlockInstance:
    """One use of a block: its instance name (the path of scopes), the block's name and where it was called;
    ``auto_name``: the spec gives the instance no name, and its last scope is the automatic ``block_N``."""

    scope: tuple[str, ...]
    block: str
    span: Optional[Span]
    inputs: tuple[str, ...]
    output: str
    auto_name: bool = False


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
        """The node called ``name`` (or making the tensor ``name:output``)."""
        return self.nodes[self.index[node_of(name)]]

    def consumers(self) -> dict[str, list[str]]:
        """For each node, the names of the nodes that read its output."""
        out: dict[str, list[str]] = {n.name: [] for n in self.nodes}
        for n in self.nodes:
            for i in n.sources:
                out[i].append(n.name)
        return out


#: Arguments shown in the IR dump even when left at their default.
_ALWAYS = ("shape",)


def _set_args(params: LayerParams) -> str:
    """The arguments given explicitly (or always shown), as the dump writes them: ``units=5,return_state=true``."""
    return ",".join(f"{k}={_value_text(getattr(params, k))}" for k in type(params).model_fields
                    if k in params.model_fields_set or k in _ALWAYS)


def _value_text(v: Any) -> str:
    if isinstance(getattr(v, "params", None), LayerParams):  # a wrapper's inner layer: LSTM{units=5}
        return f"{v.op}{{{_set_args(v.params)}}}"
    items = getattr(v, "items", None)
    if isinstance(items, tuple) and all(isinstance(getattr(m, "params", None), LayerParams) for m in items):
        # a container's inner layers: [stem_conv=Conv2D{filters=96,...},stem_norm=LayerNormalization{...}]
        return "[" + ",".join(f"{m.name}={m.op}{{{_set_args(m.params)}}}" for m in items) + "]"
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
        args = _set_args(n.params)
        names = n.input_names if len(n.inputs) > 1 else ()  # a lone input needs no name
        ins = ", ".join(f"{k}=%{i}" if k else "%" + i for i, k in zip(n.inputs, names or ("",) * len(n.inputs)))
        shape = f" -> {tuple(types[n.name].shape)}" if types and n.name in types else ""
        if n.outputs and types and n.name in types:
            shape = " -> " + ", ".join(f"{o} {tuple(types[t].shape)}" for o, t in zip(n.outputs, n.tensors))
        elif n.outputs:
            shape = " -> " + ", ".join(n.outputs)
        scope = f"  @{'/'.join(n.scope)}" if n.scope else ""
        frozen = " frozen" if not n.trainable else ""
        lines.append(f"%{n.name} = {n.op}({ins}) {{{args}}}{shape}{frozen}{scope}")
    lines.append("outputs " + ", ".join("%" + o for o in graph.outputs))
    return "\n".join(lines) + "\n"
