"""The layer registry's building blocks: LayerDef, shared argument types, and the registry itself.

A layer type is defined in exactly one place: a :class:`LayerDef` holding its parameters (one pydantic model whose
field names and defaults are Keras's), its shape rule, its parameter-count and FLOP rules, and the Keras class it
builds. Nothing here imports Keras: a layer's arguments are plain data (``to_config()``), which the Keras backend
(archcompiler/backends/keras.py) turns into a layer lazily.

Shapes exclude the batch dimension. A dimension is an ``int`` or ``None`` (unknown). Axis arguments keep Keras's
meaning (axis 0 is the batch, -1 the last axis); :func:`resolve_axis` maps them onto batch-less shapes.

FLOP convention (see docs/spec-language.md): the figure TensorFlow's profiler (``float_operation()`` options) reports
for the frozen inference graph of the Keras model on a batch of one. The rules reproduce it exactly, including its
quirks; ``tests/keras/test_layer_oracle.py`` checks every layer type against the profiler. Per layer:

* Conv1D/2D/3D: ``2 * prod(kernel_size) * (Cin / groups)`` per output element, plus one add per output element for
  the bias. A dilated convolution runs as space-to-batch + convolution, so the profiler counts the padded
  space-to-batch output (per axis ``d * (ceil(P / d) - k + 1)`` positions, ``P`` the input padded for
  ``same``/``causal``) instead of the true output size; the rules count the same.
* Conv1D/2D/3DTranspose run as the gradient of a convolution, which the profiler counts as
  ``2 * output elements * kernel weights / (filters * prod(strides))``, computed in floating point and truncated
  (dilation changes nothing there); plus the bias adds.
* DepthwiseConv1D/2D: ``2 * prod(kernel_size)`` per output element (+ bias); SeparableConv1D/2D: that plus a
  pointwise convolution.
* Dense: ``2 * Cin`` per output element, plus the bias add.
* Fused activations (``activation=...``) count as the Activation layer of the same name
  (:func:`archcompiler.layers.activations.activation_flops`): ReLU, sigmoid, tanh, ELU ... count 0; softmax 5 per
  element; swish/silu 2; gelu 4; hard_sigmoid 2; hard_swish 3; mish 1. The ReLU layer costs 0 to 7 per element
  depending on ``max_value`` (6 is free), ``threshold`` and ``negative_slope`` (``relu_ops_per_element``); the
  Softmax layer on another axis than the last adds 2 scalar ops (5 for a negative axis) to compute the transpose.
* BatchNormalization: ``2N + 5C`` (+``C`` with ``scale``); LayerNormalization: ``9N + 4M`` with ``M`` normalised
  groups (fewer without center/scale); pooling (1D/2D/3D): window area per output element; GlobalAveragePooling: one
  per input element; GlobalMaxPooling, reshapes, padding, cropping, dropout, concatenation: 0; Add/Multiply/Maximum
  ...: one per output element per extra input (Average: plus the division); Rescaling: 2 per element;
  UpSampling2D: 2 in all (nearest: a shape-vector product) or 0 (bilinear); UpSampling1D and 3D: 1 and 3 in all
  (a shape product per repeated axis).
* GroupNormalization: ``6N + 4G + 2C + C`` for G groups of C channels (fewer without scale/center);
  UnitNormalization: ``3N + 2M`` for M normalised vectors; Normalization: ``2N + K`` for K statistics (see
  layers/norm.py and layers/preprocessing.py); Resizing: only its shape arithmetic (0, 2, 12 or 14, plus the
  padding of ``pad_to_aspect_ratio``); CenterCrop, Permute, Identity, SpatialDropout, GaussianNoise and
  GaussianDropout: 0; RepeatVector: 1.

Known deviations, where the profiler does not see work that archc counts:

* a grouped convolution (``groups > 1``) runs in an XLA-compiled function the profiler cannot see into, so it
  reports 0 for the whole layer; archc counts the real work (``2 * prod(kernel_size) * Cin / groups`` per output
  element plus bias adds). A LayerNormalization that reads such a layer's output (ConvNeXt's blocks) is not seen
  either (the profiler reports 0 for it); archc counts it as any other;
* MaxPooling3D and AveragePooling3D: the profiler has no rule for their ops and reports 0; archc counts the window
  area per output element, as for 1D and 2D;
* Conv3DTranspose: the profiler has no rule for its kernel's op and sees only the bias add; archc counts the kernel
  with the rule of the 1D and 2D transposed convolutions.

``tests/kerasutil.py`` (``profiler_unseen_flops``) holds the same list, and the oracle tests check that the
profiler's figure is exactly archc's minus that part.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from typing import Annotated, Any, Callable, ClassVar, Literal, Optional, Union

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, model_validator

Dim = Optional[int]
Shape = tuple[Dim, ...]

#: Largest integer accepted for any size-like argument (filters, units, kernel sizes ...).
MAX_SIZE = 1 << 24


class ShapeError(ValueError):
    """Raised by a shape rule when its inputs cannot go through the layer. The message is for people."""

    def __init__(self, message: str, code: str = "E400"):
        super().__init__(message)
        self.code = code


class _NotABool:
    """Stands for a non-boolean value given to a boolean argument, so that pydantic rejects it at that field."""

    def __init__(self, value: Any):
        self.value = value

    def __repr__(self) -> str:
        return repr(self.value)


class LayerParams(BaseModel):
    """Base of every layer's parameter model: unknown keys are errors; values are already evaluated. A layer type's
    schema is built when it is first used (``defer_build``), so that importing archc does not pay for every type."""

    model_config = ConfigDict(extra="forbid", frozen=True, validate_default=True, defer_build=True)

    #: Keys that are archc's own, not arguments of the layer (never passed to a backend's layer).
    archc_keys: ClassVar[tuple[str, ...]] = ()
    #: Arguments of the layer's call, not of its constructor (``use_causal_mask``): a backend passes them when it
    #: calls the layer on its inputs (:meth:`call_options`), never to the constructor.
    call_keys: ClassVar[tuple[str, ...]] = ()

    @model_validator(mode="before")
    @classmethod
    def _strict_booleans(cls, data: Any) -> Any:
        """true/false only: YAML 1.2 reads `yes`/`on` as strings, and pydantic would quietly take them (or 0/1)."""
        if isinstance(data, dict):
            for k, v in data.items():
                f = cls.model_fields.get(k)
                if f is not None and f.annotation in (bool, Optional[bool]) and not (isinstance(v, bool) or
                                                                                    v is None):
                    data = {**data, k: _NotABool(v)}  # fails bool validation at the field, showing the value
        return data

    def to_config(self) -> dict[str, Any]:
        """The layer's arguments as plain data, by their names (archc's own keys left out): numbers, strings,
        booleans, None, tuples and lists, with initializers and regularizers as ``{"class_name", "config"}``
        mappings (see :meth:`Initializer.to_config`). Backends read this; the IR prints it."""
        out = {}
        for k in type(self).model_fields:
            if k in self.archc_keys or k in self.call_keys:
                continue
            v = getattr(self, k)
            out[k] = v.to_config() if hasattr(v, "to_config") else v
        return out

    def call_options(self) -> dict[str, Any]:
        """The arguments of the layer's call (:attr:`call_keys`) as plain data, by Keras's names."""
        return {k: getattr(self, k) for k in self.call_keys}


# ---------------------------------------------------------------------------------------------------------------
# Shared argument types
# ---------------------------------------------------------------------------------------------------------------

PositiveInt = Annotated[int, Field(ge=1, le=MAX_SIZE, strict=True)]
NonNegativeInt = Annotated[int, Field(ge=0, le=MAX_SIZE, strict=True)]


def _to_pair(v: Any) -> Any:
    if isinstance(v, bool):
        return v
    if isinstance(v, int):
        return (v, v)
    if isinstance(v, list):
        return tuple(v)
    return v


#: ``3`` or ``[3, 3]``, normalised to a pair of positive integers.
IntPair = Annotated[tuple[PositiveInt, PositiveInt],
                    BeforeValidator(_to_pair, json_schema_input_type=Union[PositiveInt, tuple[PositiveInt, PositiveInt]])]


def _to_padding2d(v: Any) -> Any:
    if isinstance(v, bool):
        return v
    if isinstance(v, int):
        return ((v, v), (v, v))
    if isinstance(v, (list, tuple)) and len(v) == 2:
        return tuple((x, x) if isinstance(x, int) and not isinstance(x, bool) else tuple(x) if isinstance(x, list) else x
                     for x in v)
    return v


#: ZeroPadding2D's ``padding``: ``3``, ``[1, 2]`` (symmetric per axis) or ``[[top, bottom], [left, right]]``.
Padding2D = Annotated[
    tuple[tuple[NonNegativeInt, NonNegativeInt], tuple[NonNegativeInt, NonNegativeInt]],
    BeforeValidator(_to_padding2d, json_schema_input_type=Union[
        NonNegativeInt, tuple[NonNegativeInt, NonNegativeInt],
        tuple[tuple[NonNegativeInt, NonNegativeInt], tuple[NonNegativeInt, NonNegativeInt]]]),
]

def _to_single(v: Any) -> Any:
    if isinstance(v, (list, tuple)) and len(v) == 1:
        return v[0]
    return v


#: ``3`` or ``[3]``, normalised to one positive integer (the sizes of 1D layers: Conv1D, MaxPooling1D ...).
IntSingle = Annotated[PositiveInt, BeforeValidator(_to_single,
                                                  json_schema_input_type=Union[PositiveInt, tuple[PositiveInt]])]


def _to_tuple(rank: int) -> Callable[[Any], Any]:
    def normalise(v: Any) -> Any:
        if isinstance(v, bool):
            return v
        if isinstance(v, int):
            return (v,) * rank
        if isinstance(v, list):
            return tuple(v)
        return v
    return normalise


def sizes(rank: int, item: Any = PositiveInt) -> Any:
    """The type of a per-axis size argument (kernel_size, strides, pool_size ...) of a layer over ``rank`` spatial
    axes: for rank 1 one integer (``3`` or ``[3]``), as Conv1D has it; for rank 2 and 3 ``3`` or a list of ``rank``
    integers, normalised to a tuple (``IntPair`` for rank 2). ``item`` is the type of each integer."""
    if rank == 1:
        return Annotated[item, BeforeValidator(_to_single, json_schema_input_type=Union[item, tuple[item]])]
    if rank == 2 and item is PositiveInt:
        return IntPair
    each = tuple[(item,) * rank]  # type: ignore[misc]
    return Annotated[each, BeforeValidator(_to_tuple(rank), json_schema_input_type=Union[item, each])]


def _to_borders(rank: int) -> Callable[[Any], Any]:
    def normalise(v: Any) -> Any:
        if isinstance(v, bool):
            return v
        if isinstance(v, int):
            return ((v, v),) * rank
        if isinstance(v, (list, tuple)) and len(v) == rank:
            return tuple((x, x) if isinstance(x, int) and not isinstance(x, bool) else tuple(x) if isinstance(x, list)
                         else x for x in v)
        return v
    return normalise


def borders(rank: int) -> Any:
    """The type of ZeroPadding's ``padding`` and Cropping's ``cropping`` over ``rank`` spatial axes: for rank 1 a
    ``(left, right)`` pair (``2`` is ``(2, 2)``); for rank 2 and 3 one integer for every border, one per axis (both
    sides) or a ``(before, after)`` pair per axis, normalised to pairs (``Padding2D`` for rank 2)."""
    pair = tuple[NonNegativeInt, NonNegativeInt]
    if rank == 1:
        return Annotated[pair, BeforeValidator(_to_pair, json_schema_input_type=Union[NonNegativeInt, pair])]
    if rank == 2:
        return Padding2D
    each = tuple[(NonNegativeInt,) * rank]  # type: ignore[misc]
    full = tuple[(pair,) * rank]  # type: ignore[misc]
    return Annotated[full, BeforeValidator(_to_borders(rank), json_schema_input_type=Union[NonNegativeInt, each, full])]


#: Names of the spatial axes of a channels-last input by rank (for messages: "steps, channels").
SPATIAL_AXES = {1: "steps", 2: "height, width", 3: "depth, height, width"}

PaddingMode = Literal["valid", "same"]

# Descriptions of arguments several layers share: what editors show on hover, and the start of the argument's
# description in the JSON Schema (which adds the default and Keras's name, see LayerDef.argument_doc).
DOC_PADDING = ("`valid`: no padding, windows stay inside the input (the output shrinks); `same`: zero padding so "
               "that the output size is ceil(input / strides).")
DOC_DATA_FORMAT = ("Axis order of the input; archc builds channels-last models only, so `channels_last` or null "
                   "(the same).")
DOC_ACTIVATION = "Activation applied to the output, by name (e.g. relu, softmax); null means none (linear)."
DOC_USE_BIAS = "Whether the layer adds a trainable bias vector to its output."


def doc_initializer(weights: str) -> str:
    """The description of an initializer argument for ``weights`` (e.g. "the kernel")."""
    return (f"How {weights} is initialised: an initializer name (e.g. glorot_uniform, he_normal, zeros) or "
            f"`{{name: {{seed: 0, ...}}}}`.")


def doc_regularizer(weights: str) -> str:
    """The description of a regularizer argument for ``weights``."""
    return (f"Penalty on {weights} added to the training loss: `{{l2: 1e-4}}`, `{{l1: 1e-5}}`, both, or a bare "
            f"`l1`/`l2` (factor 0.01); null for none.")


#: A float argument (an int is accepted; a bool or a string is not).
Float = Annotated[float, Field(strict=True, allow_inf_nan=False)]
NonNegativeFloat = Annotated[float, Field(strict=True, ge=0, allow_inf_nan=False)]

#: A number or nested lists of numbers (up to three levels), broadcast against a tensor (Rescaling's ``scale``,
#: Normalization's ``mean``); :func:`nested_shape` checks that the lists are rectangular.
Numbers = Union[Float, list[Float], list[list[Float]], list[list[list[Float]]]]


def nested_shape(v: Any, what: str) -> tuple[int, ...]:
    """The shape of a number (``()``) or of rectangular nested lists; ValueError (naming ``what``) for empty or
    ragged lists."""
    if not isinstance(v, list):
        return ()
    inner = [nested_shape(x, what) for x in v]
    if not v or any(s != inner[0] for s in inner):
        raise ValueError(f"`{what}` must be a number or nested lists of equal, non-zero lengths. Received: "
                         f"{what}={v}")
    return (len(v), *inner[0])


def flat_values(v: Any) -> list[float]:
    """The numbers of a number or nested lists, in order."""
    return [y for x in v for y in flat_values(x)] if isinstance(v, list) else [v]

#: A Keras axis: 0 is the batch axis, negative values count from the end.
Axis = Annotated[int, Field(strict=True, ge=-9, le=9)]

#: ``data_format``: archc builds channels-last models only.
DataFormat = Optional[Literal["channels_last"]]

ActivationName = Literal[
    "linear", "relu", "relu6", "sigmoid", "softmax", "tanh", "elu", "selu", "softplus", "softsign", "swish",
    "silu", "gelu", "hard_sigmoid", "hard_swish", "hard_silu", "exponential", "leaky_relu", "mish", "log_softmax",
]

InitializerName = Literal[
    "uniform", "glorot_uniform", "glorot_normal", "he_uniform", "he_normal", "lecun_uniform", "lecun_normal", "zeros", "ones",
    "random_normal", "random_uniform", "truncated_normal", "orthogonal", "variance_scaling", "constant", "identity",
]

_INITIALIZER_CLASSES = {
    "uniform": "RandomUniform",
    "glorot_uniform": "GlorotUniform", "glorot_normal": "GlorotNormal", "he_uniform": "HeUniform",
    "he_normal": "HeNormal", "lecun_uniform": "LecunUniform", "lecun_normal": "LecunNormal", "zeros": "Zeros",
    "ones": "Ones", "random_normal": "RandomNormal", "random_uniform": "RandomUniform",
    "truncated_normal": "TruncatedNormal", "orthogonal": "Orthogonal", "variance_scaling": "VarianceScaling",
    "constant": "Constant", "identity": "Identity",
}


_FiniteFloat = Annotated[float, Field(allow_inf_nan=False)]
_PositiveFloat = Annotated[float, Field(gt=0, allow_inf_nan=False)]


class InitializerArgs(BaseModel):
    """Arguments of a Keras initializer; each initializer takes only its own (see ``INITIALIZER_ARGS``)."""

    model_config = ConfigDict(extra="forbid", frozen=True, defer_build=True)
    seed: Optional[Annotated[int, Field(ge=0, le=2**31 - 1, strict=True)]] = Field(
        None, description="Random seed, for reproducible initial weights (random initializers).")
    mean: Optional[_FiniteFloat] = Field(None, description="Mean of random_normal / truncated_normal.")
    stddev: Optional[_PositiveFloat] = Field(
        None, description="Standard deviation of random_normal / truncated_normal (positive).")
    minval: Optional[_FiniteFloat] = Field(None, description="Lower bound of random_uniform.")
    maxval: Optional[_FiniteFloat] = Field(None, description="Upper bound of random_uniform (above minval).")
    value: Optional[_FiniteFloat] = Field(None, description="The value of constant.")
    gain: Optional[_FiniteFloat] = Field(None, description="Multiplicative factor of orthogonal and identity.")
    scale: Optional[_PositiveFloat] = Field(None, description="Scaling factor of variance_scaling (positive).")
    mode: Optional[Literal["fan_in", "fan_out", "fan_avg"]] = Field(
        None, description="Which fan variance_scaling divides by.")
    distribution: Optional[Literal["truncated_normal", "untruncated_normal", "uniform"]] = Field(
        None, description="The distribution variance_scaling draws from.")


#: The arguments each initializer takes (Keras 3's signatures).
INITIALIZER_ARGS: dict[str, tuple[str, ...]] = {
    "uniform": ("minval", "maxval", "seed"),
    "glorot_uniform": ("seed",), "glorot_normal": ("seed",), "he_uniform": ("seed",), "he_normal": ("seed",),
    "lecun_uniform": ("seed",), "lecun_normal": ("seed",), "zeros": (), "ones": (),
    "random_normal": ("mean", "stddev", "seed"), "random_uniform": ("minval", "maxval", "seed"),
    "truncated_normal": ("mean", "stddev", "seed"), "orthogonal": ("gain", "seed"),
    "variance_scaling": ("scale", "mode", "distribution", "seed"), "constant": ("value",), "identity": ("gain",),
}


def _to_initializer(v: Any) -> Any:
    if isinstance(v, str):
        return {"name": v}
    if isinstance(v, dict) and len(v) == 1 and "name" not in v:
        (name, args), = v.items()
        return {"name": name, "args": args if args is not None else {}}
    return v


class Initializer(BaseModel):
    """``glorot_uniform`` or ``{glorot_uniform: {seed: 0}}``."""

    model_config = ConfigDict(extra="forbid", frozen=True, defer_build=True)
    name: InitializerName
    args: InitializerArgs = InitializerArgs()

    @model_validator(mode="after")
    def _own_arguments(self) -> "Initializer":
        allowed = INITIALIZER_ARGS[self.name]
        given = self.args.model_dump(exclude_none=True)
        wrong = [k for k in given if k not in allowed]
        if wrong:
            takes = f"takes {', '.join(allowed)}" if allowed else "takes no arguments"
            raise ValueError(f"{self.name} {takes}. Received: {', '.join(f'{k}={given[k]!r}' for k in wrong)}")
        lo, hi = given.get("minval", -0.05), given.get("maxval", 0.05)
        if self.name in ("random_uniform", "uniform") and not lo < hi:
            raise ValueError(f"{self.name} needs minval < maxval. Received: minval={lo}, maxval={hi}")
        return self

    def to_config(self) -> Any:
        """The initializer as plain data: its name when it has no arguments, else ``{"class_name": <its class
        name>, "config": <its arguments>}`` (``{"class_name": "RandomNormal", "config": {"stddev": 0.02}}``)."""
        cfg = self.args.model_dump(exclude_none=True)
        if not cfg:
            return "random_uniform" if self.name == "uniform" else self.name  # Keras's alias, by its own name
        return {"class_name": _INITIALIZER_CLASSES[self.name], "config": cfg}


InitializerArg = Annotated[Initializer, BeforeValidator(
    _to_initializer, json_schema_input_type=Union[InitializerName, dict[InitializerName, Optional[InitializerArgs]]])]


def _to_regularizer(v: Any) -> Any:
    if isinstance(v, str):
        return {v: 0.01}
    return v


class Regularizer(BaseModel):
    """``{l2: 1e-4}``, ``{l1: 1e-5}`` or both (``l1_l2``)."""

    model_config = ConfigDict(extra="forbid", frozen=True, defer_build=True)
    l1: Annotated[float, Field(ge=0, allow_inf_nan=False)] = Field(0.0, description="L1 factor: adds l1 * sum(|w|) to the loss.")
    l2: Annotated[float, Field(ge=0, allow_inf_nan=False)] = Field(0.0, description="L2 factor: adds l2 * sum(w ** 2) to the loss.")

    def to_config(self) -> Any:
        """The regularizer as plain data: ``{"class_name": "L1" | "L2" | "L1L2", "config": <its factors>}``."""
        if self.l1 and self.l2:
            return {"class_name": "L1L2", "config": {"l1": self.l1, "l2": self.l2}}
        if self.l1:
            return {"class_name": "L1", "config": {"l1": self.l1}}
        return {"class_name": "L2", "config": {"l2": self.l2}}


RegularizerArg = Annotated[Optional[Regularizer], BeforeValidator(
    _to_regularizer, json_schema_input_type=Optional[Union[Literal["l1", "l2"], Regularizer]])]


# ---------------------------------------------------------------------------------------------------------------
# LayerDef and the registry
# ---------------------------------------------------------------------------------------------------------------

InferFn = Callable[[Any, list[Shape]], Shape]
ParamsFn = Callable[[Any, list[Shape], Shape], tuple[int, int]]
FlopsFn = Callable[[Any, list[Shape], Shape], Optional[int]]
#: A box label rule: the layer's parameters -> the text after its type in a diagram (see layers/labels.py).
LabelFn = Callable[[Any], str]


def no_params(p: Any, ins: list[Shape], out: Shape) -> tuple[int, int]:
    """Parameter rule for layers without weights."""
    return (0, 0)


def same_shape(p: Any, ins: list[Shape]) -> Shape:
    """Shape rule for layers whose output has the shape of their (first) input."""
    return ins[0]


def no_flops(p: Any, ins: list[Shape], out: Shape) -> int:
    """FLOP rule for layers the profiler does not count (reshapes, ReLU, dropout at inference ...)."""
    return 0


def kernel_macs(kernel_weights: int, out: Shape) -> Optional[int]:
    """MACs of a layer applying ``kernel_weights`` at every position of its output (all axes but channels)."""
    n = numel(out[:-1])
    return None if n is None else kernel_weights * n


def numel(shape: Shape) -> Optional[int]:
    """Number of elements of a shape (batch of one), or None when a dimension is unknown."""
    if any(d is None for d in shape):
        return None
    return math.prod(shape)  # type: ignore[arg-type]


def resolve_axis(op: str, axis: int, shape: Shape) -> int:
    """Maps a Keras axis (0 = batch) onto an index of the batch-less ``shape``.

    Raises:
        ShapeError: the axis is the batch axis or out of range.
    """
    rank = len(shape) + 1
    if axis == 0 or not -rank < axis < rank:
        raise ShapeError(f"{op} expects an axis in [1, {rank - 1}] or [-{rank - 1}, -1] for an input of rank {rank} "
                         f"(batch included; axis 0 is the batch). Received: axis={axis}, input_shape={shape}")
    return axis - 1 if axis > 0 else rank + axis - 1


def window_output_dim(n: Dim, k: int, stride: int, dilation: int, padding: str) -> Dim:
    """Output length of a sliding window (convolution or pooling) along one axis; None stays None.

    ``valid``: ``floor((n - ((k - 1) * d + 1)) / s) + 1``; ``same``: ``ceil(n / s)``; ``causal``: like ``same`` for
    stride 1 (the input is padded on the left only). The result may be 0 or negative; callers report E402.
    """
    if n is None:
        return None
    if padding == "valid":
        return (n - ((k - 1) * dilation + 1)) // stride + 1
    return -(-n // stride)


def check_spatial(op: str, out: tuple[Dim, ...], x: Shape, **args: Any) -> None:
    """Raises E402 when a spatial output dimension is below 1; ``args`` are named in the message."""
    if any(d is not None and d < 1 for d in out):
        extra = "".join(f", {k}={v!r}" for k, v in args.items())
        raise ShapeError(f"{op} expects the window to fit in the input: the computed output size would be "
                         f"{tuple(out)}, zero or negative. Received: input_shape={x}{extra}", "E402")


def require_rank(op: str, x: Shape, rank: int, what: str) -> None:
    """Raises a ShapeError unless the batch-less ``x`` has ``rank`` dimensions; ``what`` names them."""
    if len(x) != rank:
        raise ShapeError(f"{op} expects an input of rank {rank} ({what}), batch excluded. Received: input_shape={x}")


def require_known(op: str, x: Shape, index: int, what: str) -> int:
    """Returns ``x[index]``, raising a ShapeError when that dimension is unknown."""
    d = x[index]
    if d is None:
        raise ShapeError(f"{op} expects a known {what} dimension. Received: input_shape={x}")
    return d


@dataclass(frozen=True, slots=True)
class LayerDef:
    """Everything archc knows about one layer type.

    Attributes:
        op: the Keras class name, which is also the key used in specs (``Conv2D``).
        params: the pydantic model of the layer's arguments (Keras names and defaults).
        infer: output shape from the parameters and the input shapes.
        count_params: ``(trainable, non_trainable)`` weights, as Keras counts them.
        count_flops: FLOPs for a batch of one (None when a dimension is unknown).
        count_macs: multiply-accumulates of the layer's weights for a batch of one (convolutions and dense
            layers: kernel weights x output positions; 0 for layers without a kernel).
        family: colour group in diagrams: input, conv, norm, activation, pooling, merge, dense, reshape, regularization.
        arity: ``(min, max)`` number of inputs; max None means unbounded.
        positional: the argument a scalar shorthand sets (``Activation: relu`` sets ``activation``).
        doc: one paragraph for the generated layer reference.
        call_style: how a backend calls the layer on its inputs (one of ``CALL_STYLES``): ``tensor``, on its one
            input (``layer(x)``); ``list``, on the list of its inputs (``layer([a, b])``, the merges); ``named``,
            by the names of its inputs (``layer(query=q, value=v)``); ``sequence``, a recurrent layer on its first
            input with the others as its initial state (``layer(x, initial_state=[h, c])``). The parameters'
            ``call_options()`` are passed with them; ``operation``, no layer at all: tensor arithmetic on the
            input(s) (``x + value``, ``x + y``), an operation of the Keras graph that ``model.layers`` and archc's layer count
            leave out (layers/operations.py).
        input_names: the names of the layer's inputs, in the order Keras takes them (``query``, ``value``, ``key``);
            an entry may then give its inputs by name (``inputs: {query: q, value: v}``). The first ``arity[0]``
            are required. Empty for layers whose inputs are only positional.
        outputs: the names of the layer's outputs as a function of its parameters (LSTM with ``return_state``:
            ``output, state_h, state_c``), for a layer that may return several tensors; None for one output. With
            several, ``infer`` returns one shape per output, in that order; the other rules see the first.
        dtype: the element type of the output when the layer fixes it (Embedding: float32 from integer ids);
            None: the first input's.
        wraps: for a wrapper (Bidirectional, TimeDistributed), whose ``layer`` argument is another layer entry,
            or a container (Sequential), whose ``layers`` argument is a list of them: a check of an inner layer's
            type, ``(op, definition) -> problem or None``; None for other layers.
        arithmetic: for an ``operation`` entry, the tensor expression it stands for (``x + value``); its
            ``keras_class`` is then the class of the operation Keras records (``Add``), not a layer class.
        keras_module: the module that defines ``keras_class`` when it is not ``keras.layers`` (keras.applications'
            own layers); only the Keras backend imports it.
        label: what the layer's box in a diagram says after its type, from its parameters (``3×3/2, 64``,
            ``relu``; ``""`` when nothing helps). Every layer type sets it (a test checks).
        keras_path: for a Keras class outside ``keras.layers`` (a plugin's, see layers/plugins.py), where it is:
            ``"package.module:Class"``, imported by the Keras backend only; "" for the built-in types.
    """

    op: str
    params: type[LayerParams]
    infer: InferFn
    count_params: ParamsFn = no_params
    count_flops: FlopsFn = no_flops
    count_macs: FlopsFn = no_flops
    family: str = "other"
    arity: tuple[int, Optional[int]] = (1, 1)
    positional: Optional[str] = None
    doc: str = ""
    keras_class: str = ""
    examples: tuple[str, ...] = field(default=())
    call_style: str = "tensor"
    label: Optional[LabelFn] = None
    keras_path: str = ""
    arithmetic: str = ""
    keras_module: str = ""
    input_names: tuple[str, ...] = ()
    outputs: Optional[Callable[[Any], tuple[str, ...]]] = None
    dtype: Optional[str] = None
    wraps: Optional[Callable[[str, "LayerDef"], Optional[str]]] = None

    def arrange(self, names: tuple[str, ...], shapes: list[Shape]) -> list[Any]:
        """The shapes of a node's inputs as the rules take them: for a layer with named inputs, one per declared
        name up to the last one given, None for an optional one left out (MultiHeadAttention given a query, a
        value and a mask gets ``[q, v, None, None, None, None, mask]``); else as they are."""
        if not names:
            return list(shapes)
        given = dict(zip(names, shapes))
        out = [given.get(n) for n in self.input_names]
        while out and out[-1] is None:
            out.pop()
        return out

    def output_names(self, params: Any) -> tuple[str, ...]:
        """The names of the outputs of a layer with these parameters when it has several, else ``()``."""
        names = () if self.outputs is None else tuple(self.outputs(params))
        return names if len(names) > 1 else ()

    @property
    def is_layer(self) -> bool:
        """Whether Keras makes a layer of it (false for tensor arithmetic: ``call_style`` ``operation``)."""
        return self.call_style != "operation"

    @property
    def keras_full_name(self) -> str:
        """The class's full name: ``keras.layers.Conv2D``, its keras.applications module's, or a plugin's
        ``package.module:Class``."""
        if self.keras_path:
            return self.keras_path
        return f"{self.keras_module or 'keras.layers'}.{self.keras_name}"

    @property
    def keras_name(self) -> str:
        """The name of the Keras class to instantiate (in ``keras.layers``, or the class of ``keras_path``)."""
        if self.keras_path:
            return self.keras_path.rpartition(":")[2]
        return self.keras_class or self.op

    def argument_doc(self, name: str) -> str:
        """The description of argument ``name`` that the JSON Schema carries (editors show it on hover): its
        meaning (the field's ``description``), its default (or that it is required) and Keras's name for it."""
        info = self.params.model_fields[name]
        meaning = (info.description or "").strip()
        default = "Required." if info.is_required() else f"Default: `{default_text(info.get_default())}`."
        keras = ("archc's own (not passed to Keras)." if name in self.params.archc_keys
                 else f"Keras: `{self.keras_full_name}({name}=...)`." if self.is_layer
                 else f"Keras: `{self.arithmetic}`.")
        return " ".join(part for part in (meaning, default, keras) if part)


def axes_tuple(v: Any) -> Any:
    """An axis list as written (``[1, 2]``) as the tuple the arguments models keep; anything else as it is."""
    return tuple(v) if isinstance(v, list) else v


def default_text(value: Any) -> str:
    """A default value as a spec would write it: ``valid``, ``[1, 1]``, ``null``, ``0.001``, ``true``."""
    if isinstance(value, str):
        return value
    if hasattr(value, "to_config"):
        value = value.to_config()

    def plain(v: Any) -> Any:
        return [plain(x) for x in v] if isinstance(v, (tuple, list)) else v
    return json.dumps(plain(value))


class LayerRegistry(dict):
    """The layer types by name: the built-in types are its items (iterating, ``len`` and ``items()`` see only
    them, so that everything generated from the registry stays the same whatever is installed); a name that is not
    built in is looked up among the installed plugins' types (layers/plugins.py), which are read on that first
    miss only. ``registry[op]``, ``op in registry`` and ``registry.get(op)`` therefore find both kinds."""

    def __missing__(self, op: str) -> "LayerDef":
        found = self.plugin(op)
        if found is None:
            raise KeyError(op)
        return found

    def __contains__(self, op: object) -> bool:
        return dict.__contains__(self, op) or (isinstance(op, str) and self.plugin(op) is not None)

    def get(self, op: str, default: Any = None) -> Any:  # type: ignore[override]
        return self[op] if op in self else default

    def is_builtin(self, op: str) -> bool:
        """Whether ``op`` is a built-in type (plugins are not read)."""
        return dict.__contains__(self, op)

    def builtins(self) -> dict[str, "LayerDef"]:
        """The built-in types (a plain dict)."""
        return dict(self.items())

    def plugin(self, op: str) -> Optional["LayerDef"]:
        """The plugin type ``op`` (installed plugins read now if they were not yet), or None."""
        from .plugins import discover
        return discover(self.builtins()).types.get(op)


REGISTRY_T = LayerRegistry


#: How a layer may be called on its inputs (``LayerDef.call_style``).
CALL_STYLES = ("tensor", "list", "named", "sequence", "operation")


def build_registry(*groups: tuple[LayerDef, ...]) -> LayerRegistry:
    """Builds the registry from explicit lists of definitions; a second definition of one op is a programming error."""
    registry = LayerRegistry()
    for group in groups:
        for defn in group:
            if registry.is_builtin(defn.op):
                raise RuntimeError(f"layer type {defn.op!r} is defined twice")
            if defn.call_style == "named" and not defn.input_names:
                raise RuntimeError(f"layer type {defn.op!r}: call_style 'named' needs input_names")
            if defn.call_style not in CALL_STYLES:
                raise RuntimeError(f"layer type {defn.op!r}: call_style {defn.call_style!r} is not one of "
                                   f"{', '.join(CALL_STYLES)}")
            registry[defn.op] = defn
    return registry


def default_name(op: str) -> str:
    """Keras's automatic name stem for a layer class: ``Conv2D`` -> ``conv2d``, ``BatchNormalization`` ->
    ``batch_normalization``, ``ReLU`` -> ``re_lu``, ``ZeroPadding2D`` -> ``zero_padding2d``."""
    import re

    s = re.sub(r"(.)([A-Z][a-z]+)", r"\1_\2", op)
    return re.sub(r"([a-z])([A-Z])", r"\1_\2", s).lower()
