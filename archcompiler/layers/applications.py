"""Layers that keras.applications defines in its own modules rather than in ``keras.layers``.

A published model can only be rebuilt exactly, with weights loading by name and the same ``model.layers``, with
those very classes: each entry names its class and the module that defines it (``keras_module``), which only the
Keras backend imports, when it builds a model. The class comes from the registry, never from a spec.

* ``CustomScaleLayer`` (``keras.src.applications.inception_resnet_v2``): ``inputs[0] + inputs[1] * scale``, the
  scaled residual of InceptionResNetV2's blocks. No weights; TensorFlow's profiler counts the multiplication and
  the addition, one FLOP per element each.
* ``LayerScale`` (``keras.src.applications.convnext``): ``x * gamma``, one trainable factor per channel (gamma,
  ``projection_dim`` weights, all ``init_values`` at first), ConvNeXt's layer scale; one FLOP per element.
* ``StochasticDepth`` (``keras.src.applications.convnext``): ConvNeXt's drop path, which in training drops the
  whole residual branch of a sample with probability ``drop_path_rate`` (scaling the kept ones) and at inference
  passes its input through. No weights; 0 FLOPs at inference (the profiler's graph is the identity).
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

class LayerScaleParams(LayerParams):
    """Arguments of keras.applications' ``LayerScale`` (ConvNeXt)."""

    init_values: Annotated[float, AfterValidator(_finite)] = Field(
        description="The value every factor starts at (ConvNeXt: 1e-6).")
    projection_dim: Annotated[int, Field(ge=1, strict=True)] = Field(
        description="The number of factors: the channels (last axis) of the input.")


def _layer_scale_shape(p: LayerScaleParams, ins: list[Shape]) -> Shape:
    x = ins[0]
    if not x or (x[-1] is not None and x[-1] != p.projection_dim):
        raise ShapeError(f"LayerScale expects an input whose last axis has projection_dim={p.projection_dim} "
                         f"channels. Received: input_shape={x}")
    return x


LAYER_SCALE = LayerDef(
    op="LayerScale", params=LayerScaleParams, infer=_layer_scale_shape,
    count_params=lambda p, ins, out: (p.projection_dim, 0), count_flops=lambda p, ins, out: numel(out),
    family="norm", keras_module="keras.src.applications.convnext",
    doc="keras.applications' ConvNeXt layer scale: multiplies each channel by a trainable factor (`projection_dim` "
        "of them, starting at `init_values`).",
    label=lambda p: f"γ={number_text(p.init_values)}",
)


class StochasticDepthParams(LayerParams):
    """Arguments of keras.applications' ``StochasticDepth`` (ConvNeXt)."""

    drop_path_rate: Annotated[float, Field(ge=0.0, le=1.0)] = Field(
        description="The probability of dropping a sample's residual branch in training, in [0, 1].")


STOCHASTIC_DEPTH = LayerDef(
    op="StochasticDepth", params=StochasticDepthParams, infer=lambda p, ins: ins[0],
    count_flops=lambda p, ins, out: 0, family="regularization", positional="drop_path_rate",
    keras_module="keras.src.applications.convnext",
    doc="keras.applications' ConvNeXt stochastic depth: in training, drops a sample's whole residual branch with "
        "probability `drop_path_rate` (scaling what is kept by 1 / (1 - rate)); at inference the identity.",
    label=lambda p: f"drop path {number_text(p.drop_path_rate)}",
)

LAYERS = (CUSTOM_SCALE_LAYER, LAYER_SCALE, STOCHASTIC_DEPTH)
