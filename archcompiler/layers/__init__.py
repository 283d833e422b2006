"""The layer registry: every built-in layer type, built from the explicit lists of each module, and the types of
installed plugins, found by name on first need (see ``base.LayerRegistry`` and ``plugins.py``)."""

from __future__ import annotations

from . import activations, conv, core, merge, norm, pooling, reshaping
from .base import REGISTRY_T, LayerDef, LayerRegistry, LayerParams, Shape, ShapeError, build_registry, default_name

REGISTRY: REGISTRY_T = build_registry(
    core.LAYERS, conv.LAYERS, norm.LAYERS, activations.LAYERS, pooling.LAYERS, merge.LAYERS, reshaping.LAYERS,
)

__all__ = ["REGISTRY", "LayerDef", "LayerRegistry", "LayerParams", "Shape", "ShapeError", "default_name", "get"]


def get(op: str) -> LayerDef | None:
    """Returns the definition of ``op`` or None."""
    return REGISTRY.get(op)
