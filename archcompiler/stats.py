"""Counting: parameters (trainable / non-trainable) and FLOPs per layer, per block instance and in total."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Optional

from .diagnostics import Diagnostic
from .ir import Graph, TensorType
from .layers import REGISTRY


@dataclass(frozen=True, slots=True)
class Counts:
    """Weights and work of a layer, a block instance or the whole model (FLOPs None when a size is unknown)."""

    trainable: int = 0
    non_trainable: int = 0
    flops: Optional[int] = 0
    macs: Optional[int] = 0

    @property
    def total(self) -> int:
        return self.trainable + self.non_trainable

    def __add__(self, other: "Counts") -> "Counts":
        return Counts(self.trainable + other.trainable, self.non_trainable + other.non_trainable,
                      None if self.flops is None or other.flops is None else self.flops + other.flops,
                      None if self.macs is None or other.macs is None else self.macs + other.macs)


@dataclass(frozen=True)
class Stats:
    """Counts for every node, every block instance (keyed by scope path) and the total."""

    nodes: dict[str, Counts]
    blocks: dict[tuple[str, ...], Counts]
    total: Counts


def count(graph: Graph, types: dict[str, TensorType]) -> Stats:
    """Counts parameters and FLOPs with each layer's registered rules."""
    per_node: dict[str, Counts] = {}
    per_block: dict[tuple[str, ...], Counts] = {b.scope: Counts() for b in graph.blocks}
    total = Counts()
    for node in graph.nodes:
        defn = REGISTRY[node.op]
        ins = [types[i].shape for i in node.inputs]
        if node.input_names:
            ins = defn.arrange(node.input_names, ins)
        out = types[node.name].shape
        tr, nt = defn.count_params(node.params, ins, out)
        if not node.trainable:
            tr, nt = 0, tr + nt
        c = Counts(tr, nt, defn.count_flops(node.params, ins, out), defn.count_macs(node.params, ins, out))
        per_node[node.name] = c
        total = total + c
        for k in range(1, len(node.scope) + 1):
            scope = node.scope[:k]
            per_block[scope] = per_block.get(scope, Counts()) + c
    return Stats(per_node, per_block, total)


#: Default ceilings: far above any published network (the largest have about 2 * 10**12 parameters), low enough
#: that a typo (``Dense: 16777216`` twice) is an error rather than an attempt to allocate petabytes.
MAX_PARAMS = 10**13
#: Most values one layer's output may hold per sample (10**11 float32 values are 400 GB).
MAX_ACTIVATIONS = 10**11


@dataclass(frozen=True, slots=True)
class Ceilings:
    """Sizes a spec may not exceed: parameters in all, and values in one layer's output (per sample)."""

    max_params: int = MAX_PARAMS
    max_activations: int = MAX_ACTIVATIONS


def check_ceilings(graph: Graph, types: dict[str, TensorType], stats: Stats, ceilings: Ceilings) -> list[Diagnostic]:
    """E410 when the model's parameters, or one layer's output, exceed the ceilings; reported at the largest layer."""
    out: list[Diagnostic] = []
    if stats.total.total > ceilings.max_params:
        big = max(graph.nodes, key=lambda n: stats.nodes[n.name].total)
        out.append(Diagnostic(
            "E410", f"the model has {stats.total.total:,} parameters, over the ceiling of {ceilings.max_params:,}; "
                    f"its largest layer, '{big.name}' ({big.op}), has {stats.nodes[big.name].total:,}",
            big.span, chain=big.chain,
            hint="check this layer's arguments for a typo; a network that really is this large can raise the "
                 "ceiling with --max-params"))
    sizes = {n.name: _elements(types[n.name].shape) for n in graph.nodes}
    big_out = max(graph.nodes, key=lambda n: sizes[n.name] or 0, default=None)
    if big_out is not None and (sizes[big_out.name] or 0) > ceilings.max_activations:
        out.append(Diagnostic(
            "E410", f"the output of '{big_out.name}' ({big_out.op}) holds {sizes[big_out.name]:,} values per sample, "
                    f"over the ceiling of {ceilings.max_activations:,} (shape {types[big_out.name].shape})",
            big_out.span, chain=big_out.chain,
            hint="check the input shape and this layer's arguments; raise the ceiling with --max-activations"))
    return out


def _elements(shape: tuple) -> int | None:
    n = 1
    for d in shape:
        if d is None:
            return None
        n *= d
    return n
