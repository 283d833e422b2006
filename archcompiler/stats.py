"""Counting: parameters (trainable / non-trainable) and FLOPs per layer, per block instance and in total."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Optional

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
