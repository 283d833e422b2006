"""Regularization layers that act only in training: SpatialDropout1D/2D/3D, GaussianNoise and GaussianDropout
(Dropout is in core.py).

At inference each is the identity: no weights and no FLOPs (the profiler sees nothing of them in the frozen
inference graph). SpatialDropout drops whole feature maps (one mask value per channel and sample), so it checks the
rank of its input as Keras does: 3 (steps, channels) for 1D, 4 for 2D, 5 for 3D, batch included.
"""

from __future__ import annotations

from typing import Annotated, Optional

from pydantic import Field

from .base import DOC_DATA_FORMAT, DataFormat, LayerDef, LayerParams, Shape, require_rank, same_shape
from .labels import number_text

#: A rate in [0, 1): 1 would drop everything (and make GaussianDropout's noise infinite).
Rate = Annotated[float, Field(strict=True, ge=0, lt=1)]
Seed = Optional[Annotated[int, Field(ge=0, le=2**31 - 1, strict=True)]]

_RATE = "Fraction of the feature maps (whole channels) set to 0 during training, in [0, 1)."
_SEED = "Random seed of the noise, for reproducible training."


class SpatialDropout1DParams(LayerParams):
    """Arguments of ``keras.layers.SpatialDropout1D``: drops whole channels of a sequence."""

    rate: Rate = Field(description=_RATE)
    seed: Seed = Field(None, description=_SEED)


class SpatialDropout2DParams(LayerParams):
    """Arguments of ``keras.layers.SpatialDropout2D``: drops whole feature maps of an image."""

    rate: Rate = Field(description=_RATE)
    data_format: DataFormat = Field(None, description=DOC_DATA_FORMAT)
    seed: Seed = Field(None, description=_SEED)


class SpatialDropout3DParams(SpatialDropout2DParams):
    """Arguments of ``keras.layers.SpatialDropout3D``: drops whole feature maps of a volume."""


def _spatial_dropout(op: str, rank: int, what: str, params: type[LayerParams]) -> LayerDef:
    def infer(p: LayerParams, ins: list[Shape]) -> Shape:
        (x,) = ins
        require_rank(op, x, rank, what)
        return x

    return LayerDef(
        op=op, params=params, infer=infer, family="regularization", positional="rate",
        doc=f"During training, zeroes whole channels of its input ({what}) with probability `rate` (and scales "
            f"the rest); identity at inference.",
        label=lambda p: number_text(p.rate),
    )


SPATIAL_DROPOUT1D = _spatial_dropout("SpatialDropout1D", 2, "steps, channels", SpatialDropout1DParams)
SPATIAL_DROPOUT2D = _spatial_dropout("SpatialDropout2D", 3, "height, width, channels", SpatialDropout2DParams)
SPATIAL_DROPOUT3D = _spatial_dropout("SpatialDropout3D", 4, "depth, height, width, channels", SpatialDropout3DParams)


class GaussianNoiseParams(LayerParams):
    """Arguments of ``keras.layers.GaussianNoise``: additive zero-centred noise in training."""

    stddev: Annotated[float, Field(strict=True, ge=0, le=1, allow_inf_nan=False)] = Field(
        description="Standard deviation of the noise added during training, in [0, 1].")
    seed: Seed = Field(None, description=_SEED)


GAUSSIAN_NOISE = LayerDef(
    op="GaussianNoise", params=GaussianNoiseParams, infer=same_shape, family="regularization", positional="stddev",
    doc="During training, adds Gaussian noise of standard deviation `stddev` to its input; identity at inference.",
    label=lambda p: f"σ {number_text(p.stddev)}",
)


class GaussianDropoutParams(LayerParams):
    """Arguments of ``keras.layers.GaussianDropout``: multiplicative noise of mean 1 in training."""

    rate: Rate = Field(description="Drop probability the noise stands for, in [0, 1): the input is multiplied by "
                                   "noise of mean 1 and standard deviation sqrt(rate / (1 - rate)).")
    seed: Seed = Field(None, description=_SEED)


GAUSSIAN_DROPOUT = LayerDef(
    op="GaussianDropout", params=GaussianDropoutParams, infer=same_shape, family="regularization", positional="rate",
    doc="During training, multiplies its input by Gaussian noise of mean 1 and standard deviation "
        "`sqrt(rate / (1 - rate))`; identity at inference.",
    label=lambda p: number_text(p.rate),
)

LAYERS = (SPATIAL_DROPOUT1D, SPATIAL_DROPOUT2D, SPATIAL_DROPOUT3D, GAUSSIAN_NOISE, GAUSSIAN_DROPOUT)
