"""The training vocabulary: Keras 3's optimizers (with every argument typed and bounded), losses and metrics, and
the checks of a ``training:`` section against the model's outputs.

One table per kind. A spec names an optimizer and gives plain values for its arguments; each is checked here
statically (type, range, a finite number), and the Keras backend builds the optimizer by calling its class from this
table with those values. Nothing from a spec reaches Keras's deserializer, so a spec cannot name a class or a module
(``learning_rate: {class_name: ..., module: ...}`` is an invalid value, not an object).

``loss``, ``loss_weights`` and ``metrics`` may be given per output, by output name or in output order, as Keras 3's
``model.compile`` takes them. Once the model's outputs and their shapes are known, :func:`check_outputs` checks the
section against them (E600 unknown output names, E601 values that do not match the outputs, E602 a loss or metric
that cannot fit its output: the rules are :func:`misfit`'s, documented in docs/spec-language.md), and
:func:`keras_arguments` gives the Keras backend the section in the one form Keras reads without guessing.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass
from typing import Annotated, Any, Callable, Literal, Optional, Union

from pydantic import (BaseModel, BeforeValidator, ConfigDict, Discriminator, Field, StrictBool, StrictInt,
                      StringConstraints, Tag, create_model, model_validator)

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

#: An output of the model, by its layer name (Keras's ``model.output_names``).
OutputName = Annotated[str, StringConstraints(min_length=1, max_length=256)]
#: The factor an output's loss is multiplied by in the total loss.
LossWeight = Annotated[float, Field(ge=0, allow_inf_nan=False, strict=True)]

def _names_form(v: Any) -> str:
    return "list[names]" if isinstance(v, list) else "one[name]"


#: One metric name or a list of them (what one output gets).
OutputMetrics = Annotated[Union[Annotated[MetricName, Tag("one[name]")], Annotated[list[MetricName], Tag("list[names]")]],
                          Discriminator(_names_form)]

def _per_output(one: Any, item: Any) -> Any:
    """One value, a list of ``item`` in output order, or a mapping from output names to ``item``; ``one`` None for
    no single-value form (anything but a mapping is then checked as a list).

    The form is chosen from the value (a discriminated union), so that the errors are those of that form only: a
    misspelt name in a list is reported at its item, not also as "not a mapping"."""
    forms = [Annotated[list[item], Tag("list[items]")], Annotated[dict[OutputName, item], Tag("dict[outputs]")]]
    if one is not None:
        forms.insert(0, Annotated[one, Tag("one[value]")])

    def form(v: Any) -> str:
        return ("list[items]" if isinstance(v, list) or one is None and not isinstance(v, dict) else
                "dict[outputs]" if isinstance(v, dict) else "one[value]")
    return Annotated[Union[tuple(forms)], Discriminator(form)]


#: ``loss``: one name for every output, a list in output order, or a mapping from every output's name to its loss.
LossSpec = _per_output(LossName, LossName)
#: ``loss_weights``: a number (one output), a list in output order, or a mapping from output names to numbers.
LossWeightsSpec = _per_output(LossWeight, LossWeight)
#: ``metrics``: a list (of names for one output; of a name or a list of names per output, in output order, for
#: several), or a mapping from output names to a name or a list of names.
MetricsSpec = _per_output(None, OutputMetrics)


class Training(StrictModel):
    """How `to_keras()` compiles the model: the optimizer, loss(es), loss weights and metrics by their Keras names,
    per output for a model with several (training.py)."""

    optimizer: Optimizer = Field(default_factory=lambda: OptimizerChoice(adam={}),
                                 description="`adam`, or one name with its arguments: `{adam: {learning_rate: 0.001}}`.")
    loss: LossSpec = Field(description="Keras loss name, e.g. categorical_crossentropy: one for every output, a list "
                                       "in output order, or a mapping from every output's name to its loss.")
    loss_weights: Optional[LossWeightsSpec] = Field(
        None, description="What each output's loss counts for in the total: a list in output order, or a mapping "
                          "naming every output; a number for a one-output model. Default: every loss counts 1.")
    metrics: MetricsSpec = Field(default_factory=list,
                                 description="Keras metric names, e.g. [accuracy]. With several outputs: one entry "
                                             "(a name or a list of names) per output in output order, or a mapping "
                                             "from output names to a name or a list of names.")


# ---------------------------------------------------------------------------------------------------------------
# the training section against the model's outputs
# ---------------------------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Output:
    """One output of the model as the training checks see it: its name (the layer's), its shape without the batch
    dimension, and whether it ends in a softmax over its last axis."""

    name: str
    shape: tuple
    softmax: bool


def model_outputs(graph: Any, types: dict[str, Any]) -> list[Output]:
    """The outputs of ``graph`` (an ``ir.Graph``) in their order, with their inferred shapes."""
    by_name = {n.name: n for n in graph.nodes}
    out = []
    for name in graph.outputs:
        node = by_name[name]
        shape = tuple(types[name].shape)
        if node.op == "Softmax":
            axis = node.params.axis
            softmax = axis == -1 or axis == len(shape)
        else:
            softmax = getattr(node.params, "activation", None) == "softmax"
        out.append(Output(name, shape, softmax))
    return out


#: Losses and metrics that read integer class labels against one score per class (the last axis).
SPARSE = frozenset({"sparse_categorical_crossentropy", "sparse_categorical_accuracy",
                    "sparse_top_k_categorical_accuracy"})
#: Losses and metrics that compare one-hot labels with one score per class.
CATEGORICAL = frozenset({"categorical_crossentropy", "categorical_focal_crossentropy", "categorical_hinge",
                         "categorical_accuracy", "top_k_categorical_accuracy"})
#: Losses and metrics that read every unit as a yes/no label of its own.
BINARY = frozenset({"binary_crossentropy", "binary_focal_crossentropy", "binary_accuracy"})
#: The top-k accuracies and the k Keras gives them when named as strings.
TOP_K = {"top_k_categorical_accuracy": 5, "sparse_top_k_categorical_accuracy": 5}


def misfit(name: str, out: Output) -> str | None:
    """Why the loss or metric ``name`` cannot be right for ``out``, or None. The rules (docs/spec-language.md,
    "Training") flag only what Keras fails on or what is a mistake whatever the labels: a dimension left unknown
    never makes an error."""
    shape = out.shape
    last = shape[-1] if shape else None
    where = f"output '{out.name}' (shape {tuple(shape)})"
    if name == "ctc" and len(shape) != 2:
        return (f"ctc reads outputs of shape (time steps, classes), but {where} has rank {len(shape)}; CTC needs a "
                f"sequence of class scores")
    if (name in SPARSE or name in CATEGORICAL) and not shape:
        return f"{name} needs one score per class along the last axis, but {where} is a scalar per sample"
    if name in SPARSE and last == 1:
        return (f"{name} reads an integer class label per sample against one score per class, but {where} has a "
                f"single unit, so the only label it can take is 0; for yes/no labels use binary_crossentropy (or "
                f"binary_accuracy) with a sigmoid, for several classes give the layer one unit per class")
    if name in CATEGORICAL and last == 1:
        return (f"{name} compares one-hot labels with one score per class, but {where} has a single unit, so it "
                f"is the same whatever the model predicts; for yes/no labels use binary_crossentropy (or "
                f"binary_accuracy) with a sigmoid, for several classes give the layer one unit per class")
    if name in TOP_K and last is not None and last <= TOP_K[name]:
        return (f"{name} counts a sample right when its class is among the {TOP_K[name]} highest scores, but "
                f"{where} has {last} classes, so it is always 1; use accuracy")
    if name in BINARY and out.softmax and last is not None and last >= 2:
        return (f"{name} treats every unit as a yes/no label of its own, but {where} ends in a softmax, which "
                f"makes its {last} classes exclusive; use categorical_crossentropy (one-hot labels) or "
                f"sparse_categorical_crossentropy (integer labels), or a sigmoid for independent labels")
    return None


def _names(outputs: list[Output]) -> str:
    return ", ".join(o.name for o in outputs)


def check_outputs(t: Training, outputs: list[Output], span: Callable[[tuple], Any],
                  refs: list[Any] | None = None) -> list[Any]:
    """Checks the training section ``t`` against the model's ``outputs``: output names (E600), one value per
    output (E601), and each loss and metric against the output it is for (E602). ``span(path)`` gives the position
    of ``training.<path>``; ``refs``, the spec's ``model.outputs`` as written (ids), lets E600 tell an id from a
    name. Returns the diagnostics (empty when the section fits)."""
    from .diagnostics import Collector, did_you_mean

    diags = Collector()
    by_name = {o.name: o for o in outputs}
    n = len(outputs)
    several = (f"the model has {n} outputs ({_names(outputs)})" if n > 1 else
               f"the model has one output ({outputs[0].name})")
    mapping_of = "{" + ", ".join(f"{o.name}: ..." for o in outputs) + "}"

    def at(*path: Any) -> Any:
        return span(("training",) + path)

    def unknown(key: str, path: tuple) -> str | None:
        """E600 for ``key``; returns the output it is probably a misspelling of."""
        close = difflib.get_close_matches(key, list(by_name), n=1, cutoff=0.6)
        hint = did_you_mean(key, by_name)
        if refs is not None and len(refs) == n and key in refs:  # an id: outputs are named by their layers
            name = outputs[refs.index(key)].name
            hint = (f"'{key}' is the id of output '{name}'; training names outputs as Keras does, by their layer "
                    f"names: write '{name}', or give that entry `name: {key}`")
            close = [name]
        diags.add("E600", f"training.{path[0]}: the model has no output named '{key}'; {several}", at(*path),
                  path=("training",) + path, hint=hint or f"name the outputs as the model does: {_names(outputs)}")
        return close[0] if close else None

    def fits(name: str, out: Output, path: tuple) -> None:
        reason = misfit(name, out)
        if reason:
            diags.add("E602", f"training.{path[0]}: {reason}", at(*path), path=("training",) + path)

    def per_output(key: str, value: Any, every: bool) -> dict[str, tuple[Any, tuple]] | None:
        """``value`` (a list in output order or a mapping) as {output: (its value, its path)}, for the outputs it
        names rightly (None for a list of the wrong length). ``every``: a mapping must name every output."""
        if isinstance(value, list):
            if len(value) != n:
                diags.add("E601", f"training.{key} lists {len(value)} value(s) but {several}", at(key),
                          path=("training", key),
                          hint=f"give one per output, in this order ({_names(outputs)}), or a mapping {mapping_of}")
                return None
            return {o.name: (v, (key, i)) for i, (o, v) in enumerate(zip(outputs, value))}
        meant = {unknown(k, (key, k)) for k in value if k not in by_name}  # misspelt: not missing as well
        missing = [o.name for o in outputs if o.name not in value and o.name not in meant]
        if every and missing:
            diags.add("E601", f"training.{key} names no value for output(s) {', '.join(missing)}; a mapping gives "
                              f"every output its {'loss' if key == 'loss' else 'weight'}", at(key),
                      path=("training", key), hint=f"add {', '.join(f'{m}: ...' for m in missing)}")
        return {k: (v, (key, k)) for k, v in value.items() if k in by_name}

    # loss
    if isinstance(t.loss, str):
        for o in outputs:
            fits(t.loss, o, ("loss",))
    else:
        per = per_output("loss", t.loss, every=True)
        for name, (loss, path) in (per or {}).items():
            fits(loss, by_name[name], path)
    # loss weights
    w = t.loss_weights
    if isinstance(w, (int, float)) and n > 1:
        diags.add("E601", f"training.loss_weights: one number weighs the loss of a one-output model, but {several}",
                  at("loss_weights"), path=("training", "loss_weights"),
                  hint=f"give one weight per output, in this order ({_names(outputs)}), or a mapping {mapping_of}")
    elif isinstance(w, (list, dict)):
        per_output("loss_weights", w, every=True)
    # metrics
    m = t.metrics
    if isinstance(m, list) and n == 1:
        for i, item in enumerate(m):
            for j, name in enumerate([item] if isinstance(item, str) else item):
                fits(name, outputs[0], ("metrics", i) if isinstance(item, str) else ("metrics", i, j))
    elif isinstance(m, list) and m and len(m) != n:
        flat = all(isinstance(x, str) for x in m)
        example = "{" + f"{outputs[0].name}: [{', '.join(m)}]" + "}" if flat else mapping_of
        diags.add("E601", f"training.metrics lists {len(m)} entr{'y' if len(m) == 1 else 'ies'} but {several}: "
                          f"Keras takes a list of metrics only for a one-output model, and otherwise one entry (a "
                          f"name or a list of names) per output", at("metrics"), path=("training", "metrics"),
                  hint=f"name the output(s) each metric is for: metrics: {example}, or give one entry per output "
                       f"in this order ({_names(outputs)})")
    elif m:
        per = per_output("metrics", m, every=False)
        for name, (item, path) in (per or {}).items():
            for j, metric in enumerate([item] if isinstance(item, str) else item):
                fits(metric, by_name[name], path if isinstance(item, str) else path + (j,))
    return diags.items


def keras_arguments(t: Training, output_names: list[str]) -> dict[str, Any]:
    """The ``loss``, ``loss_weights`` and ``metrics`` arguments of ``model.compile`` for a section that passed
    :func:`check_outputs`, in the one form Keras reads without guessing: for one output a loss name, a number (or
    None) and a flat list of metric names (or None); for several, lists in output order (a metric entry None for
    an output without metrics). A mapping is therefore matched by output name here, never by Keras's key order."""
    n = len(output_names)

    def in_order(value: Any) -> list[Any]:
        if isinstance(value, dict):
            return [value.get(name) for name in output_names]
        if isinstance(value, list):
            return list(value)
        return [value] * n

    losses = in_order(t.loss)
    weights = None if t.loss_weights is None else [None if w is None else float(w) for w in in_order(t.loss_weights)]
    metrics = [([] if m is None else [m] if isinstance(m, str) else list(m))
               for m in (in_order(t.metrics) if n > 1 or isinstance(t.metrics, dict) else [
                   [x for item in t.metrics for x in ([item] if isinstance(item, str) else item)]])]
    if n == 1:
        return {"loss": losses[0], "loss_weights": None if weights is None else weights[0],
                "metrics": metrics[0] or None}
    return {"loss": losses, "loss_weights": weights,
            "metrics": [m or None for m in metrics] if any(metrics) else None}
