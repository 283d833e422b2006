"""The layer registry: every layer type archc knows, built from the explicit lists of each module."""

from __future__ import annotations

from . import activations, applications, conv, core, merge, norm, operations, pooling, preprocessing, regularization, reshaping
from .base import REGISTRY_T, LayerDef, LayerParams, Shape, ShapeError, build_registry, default_name

REGISTRY: REGISTRY_T = build_registry(
    core.LAYERS, conv.LAYERS, norm.LAYERS, activations.LAYERS, pooling.LAYERS, merge.LAYERS, reshaping.LAYERS,
    preprocessing.LAYERS, regularization.LAYERS, operations.LAYERS,
    applications.LAYERS,
)

__all__ = ["REGISTRY", "LayerDef", "LayerParams", "Shape", "ShapeError", "default_name", "get", "known_as"]

#: Layer names of other libraries (and of older Keras) that a spec may reach for, and what archc has instead; the
#: hint of an unknown type (E203) says this rather than the nearest spelling, which would mislead here
#: (InstanceNormalization is closest to UnitNormalization, a different layer).
KNOWN_AS: dict[str, str] = {
    "InstanceNormalization": "GroupNormalization with `groups: -1` (one group per channel)",
    "SpatialDropout": "SpatialDropout1D, SpatialDropout2D or SpatialDropout3D (by the input's rank)",
    "Dropout1D": "SpatialDropout1D (whole channels) or Dropout (single values)",
    "Dropout2D": "SpatialDropout2D (whole feature maps) or Dropout (single values)",
    "Dropout3D": "SpatialDropout3D (whole feature maps) or Dropout (single values)",
    "Transpose": "Permute (`dims` counted from 1, the batch axis left out)",
    "L2Normalization": "UnitNormalization",
    "Standardization": "Normalization (`mean` and `variance` given, or set by `adapt()`)",
}


def get(op: str) -> LayerDef | None:
    """Returns the definition of ``op`` or None."""
    return REGISTRY.get(op)


def known_as(op: str) -> str | None:
    """What archc calls a layer type that other libraries call ``op`` ("use GroupNormalization with ..."), or None."""
    other = KNOWN_AS.get(op)
    return None if other is None else f"archc has no {op}: use {other}"
