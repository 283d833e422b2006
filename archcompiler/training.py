"""The training vocabulary: Keras 3's optimizers (with every argument typed and bounded), losses and metrics.

One table per kind. A spec names an optimizer and gives plain values for its arguments; each is checked here
statically (type, range, a finite number), and the Keras backend builds the optimizer by calling its class from this
table with those values. Nothing from a spec reaches Keras's deserializer, so a spec cannot name a class or a module
(``learning_rate: {class_name: ..., module: ...}`` is an invalid value, not an object).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Any, Literal, Optional, Union

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, StrictBool, StrictInt, create_model, model_validator

from .entries import StrictModel

Finite = Annotated[float, Field(allow_inf_nan=False)]
Positive = Annotated[float, Field(gt=0, allow_inf_nan=False)]
NonNegative = Annotated[float, Field(ge=0, allow_inf_nan=False)]
Fraction = Annotated[float, Field(ge=0, lt=1, allow_inf_nan=False)]
Count = Annotated[StrictInt, Field(ge=1, le=10**9)]

#: Arguments every Keras optimizer takes: (type, default, meaning).
COMMON_ARGS: dict[str, tuple[Any, Any, str]] = {
    "learning_rate": (Positive, None, "Step size (a positive number; each optimizer has its own default)."),
    "weight_decay": (Optional[NonNegative], None, "Decoupled weight decay applied at each step."),
    "clipnorm": (Optional[Positive], None, "Clip each gradient to this norm."),
    "clipvalue": (Optional[Positive], None, "Clip each gradient element to [-clipvalue, clipvalue]."),
    "global_clipnorm": (Optional[Positive], None, "Clip all gradients together to this global norm."),
    "use_ema": (StrictBool, False, "Keep an exponential moving average of the weights."),
    "ema_momentum": (Fraction, 0.99, "Momentum of the moving average (with use_ema)."),
    "ema_overwrite_frequency": (Optional[Count], None, "Every how many steps the average overwrites the weights."),
    "loss_scale_factor": (Optional[Positive], None, "Factor the loss is multiplied by before gradients."),
    "gradient_accumulation_steps": (Optional[Count], None, "Steps whose gradients are accumulated per update."),
}


@dataclass(frozen=True)
class OptimizerDef:
    """One Keras optimizer: its name in specs, its Keras class and its own arguments (besides COMMON_ARGS)."""

    name: str
    keras_class: str
    learning_rate: float
    args: dict[str, tuple[Any, Any, str]]


_BETA1 = (Fraction, 0.9, "Decay rate of the first-moment estimates.")
_BETA2 = (Fraction, 0.999, "Decay rate of the second-moment estimates.")
_EPS = (Positive, 1e-7, "Small constant for numerical stability.")
_AMSGRAD = (StrictBool, False, "Use the AMSGrad variant.")

OPTIMIZERS: dict[str, OptimizerDef] = {d.name: d for d in (
    OptimizerDef("adam", "Adam", 0.001, {"beta_1": _BETA1, "beta_2": _BETA2, "epsilon": _EPS, "amsgrad": _AMSGRAD}),
    OptimizerDef("adamw", "AdamW", 0.001, {"weight_decay": (NonNegative, 0.004, "Decoupled weight decay."),
                                           "beta_1": _BETA1, "beta_2": _BETA2, "epsilon": _EPS,
                                           "amsgrad": _AMSGRAD}),
    OptimizerDef("sgd", "SGD", 0.01, {"momentum": (NonNegative, 0.0, "Momentum (0 for plain SGD)."),
                                      "nesterov": (StrictBool, False, "Use Nesterov momentum.")}),
    OptimizerDef("rmsprop", "RMSprop", 0.001, {"rho": (Fraction, 0.9, "Decay of the moving average of squares."),
                                               "momentum": (NonNegative, 0.0, "Momentum."), "epsilon": _EPS,
                                               "centered": (StrictBool, False, "Normalise by the gradient variance.")}),
    OptimizerDef("adagrad", "Adagrad", 0.001, {
        "initial_accumulator_value": (NonNegative, 0.1, "Starting value of the accumulators."), "epsilon": _EPS}),
    OptimizerDef("adadelta", "Adadelta", 0.001, {"rho": (Fraction, 0.95, "Decay rate."), "epsilon": _EPS}),
    OptimizerDef("adamax", "Adamax", 0.001, {"beta_1": _BETA1, "beta_2": _BETA2, "epsilon": _EPS}),
    OptimizerDef("nadam", "Nadam", 0.001, {"beta_1": _BETA1, "beta_2": _BETA2, "epsilon": _EPS}),
    OptimizerDef("ftrl", "Ftrl", 0.001, {
        "learning_rate_power": (Annotated[float, Field(le=0, allow_inf_nan=False)], -0.5,
                                "How the learning rate decreases (a number <= 0)."),
        "initial_accumulator_value": (NonNegative, 0.1, "Starting value of the accumulators."),
        "l1_regularization_strength": (NonNegative, 0.0, "L1 regularization."),
        "l2_regularization_strength": (NonNegative, 0.0, "L2 regularization."),
        "l2_shrinkage_regularization_strength": (NonNegative, 0.0, "L2 shrinkage regularization."),
        "beta": (NonNegative, 0.0, "The beta of the FTRL paper.")}),
    OptimizerDef("lion", "Lion", 0.001, {"beta_1": _BETA1, "beta_2": (Fraction, 0.99, _BETA2[2])}),
    OptimizerDef("lamb", "Lamb", 0.001, {"beta_1": _BETA1, "beta_2": _BETA2, "epsilon": _EPS}),
    OptimizerDef("adafactor", "Adafactor", 0.001, {
        "beta_2_decay": (Finite, -0.8, "Decay rate of the second moment."),
        "epsilon_1": (Positive, 1e-30, "Regularization constant of the squared gradient."),
        "epsilon_2": (Positive, 0.001, "Regularization constant of the parameter scale."),
        "clip_threshold": (Positive, 1.0, "Threshold of the root-mean-square of the update."),
        "relative_step": (StrictBool, True, "Scale the learning rate by the step count.")}),
    OptimizerDef("muon", "Muon", 0.001, {
        "adam_beta_1": _BETA1, "adam_beta_2": _BETA2,
        "adam_weight_decay": (NonNegative, 0.004, "Weight decay of the Adam part."), "epsilon": _EPS,
        "weight_decay": (NonNegative, 0.004, "Weight decay of the Muon part."),
        "exclude_layers": (Optional[list[Annotated[str, Field(max_length=256)]]], None,
                           "Layer names (or name fragments) updated with Adam instead."),
        "exclude_embeddings": (StrictBool, True, "Update embeddings with Adam."),
        "muon_a": (Finite, 3.4445, "Newton-Schulz coefficient a."),
        "muon_b": (Finite, -4.775, "Newton-Schulz coefficient b."),
        "muon_c": (Finite, 2.0315, "Newton-Schulz coefficient c."),
        "adam_lr_ratio": (Positive, 1.0, "Learning rate of the Adam part, relative to learning_rate."),
        "momentum": (Fraction, 0.95, "Momentum."), "ns_steps": (Count, 5, "Newton-Schulz iterations."),
        "nesterov": (StrictBool, True, "Use Nesterov momentum."),
        "rms_rate": (Positive, 0.2, "RMS rate of the update.")}),
)}


def _args_model(d: OptimizerDef) -> type[BaseModel]:
    fields: dict[str, Any] = {}
    for name, (typ, default, doc) in {**COMMON_ARGS, **d.args}.items():
        if name == "learning_rate":
            default = d.learning_rate
        fields[name] = (typ, Field(default, description=f"{doc} Default: `{default}`. "
                                                           f"Keras: `keras.optimizers.{d.keras_class}({name}=...)`."))
    model = create_model(f"{d.keras_class}Args", __config__=ConfigDict(extra="forbid", frozen=True, defer_build=True),
                         **fields)
    model.__doc__ = f"Arguments of keras.optimizers.{d.keras_class}."
    return model


#: The arguments model of each optimizer.
OPTIMIZER_ARGS: dict[str, type[BaseModel]] = {name: _args_model(d) for name, d in OPTIMIZERS.items()}


def _to_choice(v: Any) -> Any:
    """``adam`` -> ``{adam: {}}``; ``{adam: null}`` -> ``{adam: {}}``; an unknown name is an error naming it."""
    if isinstance(v, str):
        v = {v: {}}
    if isinstance(v, dict):
        for k in v:
            if k not in OPTIMIZERS:
                from .diagnostics import did_you_mean
                hint = did_you_mean(str(k), OPTIMIZERS)
                raise ValueError(f"unknown optimizer {str(k)!r}" + (f" ({hint})" if hint else "") +
                                 f"; the optimizers: {', '.join(OPTIMIZERS)}")
        return {k: ({} if a is None else a) for k, a in v.items()}
    return v


class _OptimizerChoice(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, defer_build=True,
                              json_schema_extra={"minProperties": 1, "maxProperties": 1})

    @model_validator(mode="after")
    def _exactly_one(self) -> "_OptimizerChoice":
        given = [n for n in OPTIMIZERS if getattr(self, n) is not None]
        if len(given) != 1:
            raise ValueError(f"an optimizer is one name with its arguments, e.g. {{adam: {{learning_rate: 0.001}}}}."
                             f" Received: {len(given)} names")
        return self

    @property
    def name(self) -> str:
        """The optimizer's name in specs (``adam``)."""
        return next(n for n in OPTIMIZERS if getattr(self, n) is not None)

    @property
    def keras_class(self) -> str:
        """The name of its class in ``keras.optimizers``."""
        return OPTIMIZERS[self.name].keras_class

    def kwargs(self) -> dict[str, Any]:
        """The arguments given in the spec, as plain values (the others keep Keras's defaults)."""
        return getattr(self, self.name).model_dump(exclude_unset=True)


OptimizerChoice = create_model(
    "OptimizerChoice", __base__=_OptimizerChoice,
    **{n: (Optional[OPTIMIZER_ARGS[n]], Field(None, description=f"keras.optimizers.{d.keras_class}"))
       for n, d in OPTIMIZERS.items()})
OptimizerChoice.__doc__ = "An optimizer: `adam`, or one name with its arguments (`{adam: {learning_rate: 0.001}}`)."

OptimizerName = Literal[tuple(OPTIMIZERS)]  # type: ignore[valid-type]
Optimizer = Annotated[OptimizerChoice, BeforeValidator(
    _to_choice, json_schema_input_type=Union[OptimizerName, OptimizerChoice])]

#: Keras 3's losses, by the names ``keras.losses.get`` accepts.
LOSSES = (
    "binary_crossentropy", "categorical_crossentropy", "sparse_categorical_crossentropy", "binary_focal_crossentropy",
    "categorical_focal_crossentropy", "mean_squared_error", "mse", "mean_absolute_error", "mae",
    "mean_absolute_percentage_error", "mape", "mean_squared_logarithmic_error", "msle", "huber", "log_cosh",
    "kl_divergence", "kld", "poisson", "hinge", "squared_hinge", "categorical_hinge", "cosine_similarity", "ctc",
    "dice", "tversky")
LossName = Literal[LOSSES]  # type: ignore[valid-type]

#: Keras 3's metrics, by the names ``model.compile(metrics=[...])`` accepts.
METRICS = (
    "accuracy", "acc", "binary_accuracy", "categorical_accuracy", "sparse_categorical_accuracy",
    "top_k_categorical_accuracy", "sparse_top_k_categorical_accuracy", "binary_crossentropy",
    "categorical_crossentropy", "sparse_categorical_crossentropy", "mean_squared_error", "mse",
    "mean_absolute_error", "mae", "mean_absolute_percentage_error", "mape", "mean_squared_logarithmic_error", "msle",
    "kl_divergence", "poisson", "hinge", "squared_hinge", "categorical_hinge", "cosine_similarity",
    "concordance_correlation", "pearson_correlation", "auc", "precision", "recall")
MetricName = Literal[METRICS]  # type: ignore[valid-type]

LossSpec = Union[LossName, list[LossName]]


class Training(StrictModel):
    """How `to_keras()` compiles the model: the optimizer, loss and metrics by their Keras names (training.py)."""

    optimizer: Optimizer = Field(default_factory=lambda: OptimizerChoice(adam={}),
                                 description="`adam`, or one name with its arguments: `{adam: {learning_rate: 0.001}}`.")
    loss: LossSpec = Field(description="Keras loss name, e.g. categorical_crossentropy.")
    metrics: list[MetricName] = Field(default_factory=list, description="Keras metric names, e.g. [accuracy].")
