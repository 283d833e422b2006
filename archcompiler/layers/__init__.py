"""The layer registry: every built-in layer type, built from the explicit lists of each module, and the types of
installed plugins, found by name on first need (see ``base.LayerRegistry`` and ``plugins.py``)."""

from __future__ import annotations

from . import (
    activations, applications, attention, containers, conv, core, embedding, merge, norm, operations, pooling, preprocessing,
    recurrent, regularization, reshaping, wrappers,
)
from .base import REGISTRY_T, LayerDef, LayerRegistry, LayerParams, Shape, ShapeError, build_registry, default_name

REGISTRY: REGISTRY_T = build_registry(
    core.LAYERS, conv.LAYERS, norm.LAYERS, activations.LAYERS, pooling.LAYERS, merge.LAYERS, reshaping.LAYERS,
    preprocessing.LAYERS, regularization.LAYERS, embedding.LAYERS, recurrent.LAYERS, attention.LAYERS, wrappers.LAYERS,
    operations.LAYERS, applications.LAYERS, containers.LAYERS,
)

__all__ = ["REGISTRY", "LayerDef", "LayerRegistry", "LayerParams", "Shape", "ShapeError", "default_name", "get",
           "known_as"]

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
    "ELU": "Activation with `activation: elu` (alpha 1, the layer's default)",
    "RMSNormalization": "LayerNormalization with `rms_scaling: true`",
    "InputLayer": "an entry of `model.inputs` (or an Input entry)",
    "Lambda": "a layer type from a plugin (docs/plugins.md): a spec never carries code",
}
# Keras's short aliases of the same classes: the spec names the class by its full name.
KNOWN_AS.update({alias: f"{full} (the same class under its full name)" for alias, full in (
    *((f"{short}{r}D", f"{full}{r}D") for r in (1, 2, 3)
      for short, full in (("MaxPool", "MaxPooling"), ("AvgPool", "AveragePooling"),
                          ("GlobalMaxPool", "GlobalMaxPooling"), ("GlobalAvgPool", "GlobalAveragePooling"),
                          ("Convolution", "Conv"))),
    *((f"Convolution{r}DTranspose", f"Conv{r}DTranspose") for r in (1, 2, 3)),
    *((f"SeparableConvolution{r}D", f"SeparableConv{r}D") for r in (1, 2)),
)})


def get(op: str) -> LayerDef | None:
    """Returns the definition of ``op`` or None."""
    return REGISTRY.get(op)


def known_as(op: str) -> str | None:
    """What archc calls a layer type that other libraries call ``op`` ("use GroupNormalization with ..."), or None."""
    other = KNOWN_AS.get(op)
    return None if other is None else f"archc has no {op}: use {other}"
