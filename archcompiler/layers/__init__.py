"""The layer registry: every layer type archc knows, built from the explicit lists of each module."""

from __future__ import annotations

from . import activations, attention, conv, core, embedding, merge, norm, pooling, recurrent, reshaping, wrappers
from .base import REGISTRY_T, LayerDef, LayerParams, Shape, ShapeError, build_registry, default_name

REGISTRY: REGISTRY_T = build_registry(
    core.LAYERS, conv.LAYERS, norm.LAYERS, activations.LAYERS, pooling.LAYERS, merge.LAYERS, reshaping.LAYERS,
    embedding.LAYERS, recurrent.LAYERS, attention.LAYERS, wrappers.LAYERS,
)

__all__ = ["REGISTRY", "LayerDef", "LayerParams", "Shape", "ShapeError", "default_name", "get"]


def get(op: str) -> LayerDef | None:
    """Returns the definition of ``op`` or None."""
    return REGISTRY.get(op)
