"""Layers that keras.applications defines in its own modules rather than in ``keras.layers``.

A published model can only be rebuilt exactly, with weights loading by name and the same ``model.layers``, with
those very classes: each entry names its class and the module that defines it (``keras_module``), which only the
Keras backend imports, when it builds a model. The class comes from the registry, never from a spec.

* ``CustomScaleLayer`` (``keras.src.applications.inception_resnet_v2``): ``inputs[0] + inputs[1] * scale``, the
  scaled residual of InceptionResNetV2's blocks. No weights; TensorFlow's profiler counts the multiplication and
  the addition, one FLOP per element each.
"""

from __future__ import annotations

import math
from typing import Annotated, Any, Optional

from pydantic import AfterValidator, Field

from .base import LayerDef, LayerParams, Shape, ShapeError, numel
from .labels import number_text


def _finite(v: float) -> float:
    if not math.isfinite(v):
        raise ValueError(f"a finite number is required. Received: {v}")
    return v


class CustomScaleLayerParams(LayerParams):
    """Arguments of keras.applications' ``CustomScaleLayer``."""

    scale: Annotated[float, AfterValidator(_finite)] = Field(
        description="The factor of the second input (the residual) before it is added to the first (the shortcut).")


def _scale_shape(p: Any, ins: list[Shape]) -> Shape:
    a, b = ins
    if len(a) != len(b) or any(i is not None and j is not None and i != j for i, j in zip(a, b)):
        raise ShapeError(f"CustomScaleLayer expects two inputs of the same shape (shortcut, residual). "
                         f"Received: input_shape=[{a}, {b}]", "E401")
    return tuple(i if i is not None else j for i, j in zip(a, b))


def _scale_flops(p: Any, ins: list[Shape], out: Shape) -> Optional[int]:
    n = numel(out)
    return None if n is None else 2 * n


CUSTOM_SCALE_LAYER = LayerDef(
    op="CustomScaleLayer", params=CustomScaleLayerParams, infer=_scale_shape, count_flops=_scale_flops,
    family="merge", arity=(2, 2), positional="scale", call_style="list",
    keras_module="keras.src.applications.inception_resnet_v2",
    doc="keras.applications' InceptionResNetV2 residual: its first input plus `scale` times its second (inputs of "
        "the same shape).",
    label=lambda p: f"× {number_text(p.scale)}",
)

LAYERS = (CUSTOM_SCALE_LAYER,)
