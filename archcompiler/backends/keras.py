"""The Keras backend: a :class:`~archcompiler.pipeline.Compilation` becomes a ``keras.Model`` (functional API).

This is the only module of archc that imports Keras (and with it TensorFlow), and it does so inside its functions,
so that importing archc stays cheap. Every layer is made from its registry entry exactly as the layer oracle tests
make it: ``getattr(keras.layers, defn.keras_name)(**node.params.keras_config(), name=node.name)``; inputs are
``keras.Input``. Initializers (with their seeds), regularizers, activations and every other argument therefore
reach Keras as the spec wrote them, and the model saved as ``.keras`` loads without custom objects.

Anything Keras rejects (the static checks should have caught it first) is reported as error E700 at the spec entry
that made the layer, never as a bare traceback.

:func:`load_weights_by_name` copies weights into a model layer by layer, matching layer names: from another Keras
model, a ``.keras`` file, a Keras 3 ``.weights.h5`` file or a legacy (Keras 2) ``.h5`` file such as published
ImageNet weights. The ``specs/keras_applications`` specs keep keras.applications' layer names for this reason.
"""

from __future__ import annotations

import gc
import os
import re
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Iterator, Sequence

from ..diagnostics import CompileError, Diagnostic
from ..layers import REGISTRY

if TYPE_CHECKING:  # pragma: no cover
    import keras

    from ..ir import Node
    from ..pipeline import Compilation

__all__ = ["build_model", "compile_model", "load_weights_by_name", "WeightsReport", "WeightsMismatchError"]


def _keras() -> Any:
    """Imports Keras (TensorFlow's C++ start-up chatter is silenced unless the user asked for it).

    The cyclic garbage collector is paused during the import: importing TensorFlow allocates hundreds of thousands
    of objects, and every full collection on the way walks all of them plus those of archc and its caller; without
    the pause the import takes 0.1-0.3 s longer (see docs/performance.md)."""
    keras = sys.modules.get("keras")
    if keras is not None:
        return keras
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    paused = gc.isenabled()
    if paused:
        gc.disable()
    try:
        import keras
    except ImportError as e:
        raise ImportError(f"building Keras models needs TensorFlow and Keras ({e}); install them with "
                          f"pip install 'archcompiler[keras]'") from e
    finally:
        if paused:
            gc.enable()
    return keras


_ANSI = re.compile(r"\x1b\[[0-9;]*m")


def keras_message(err: BaseException) -> str:
    """Keras's message for ``err`` on one line: colour codes and the "Arguments received by ..." trailer dropped."""
    text = _ANSI.sub("", str(err)) or type(err).__name__
    text = text.split("\n\nArguments received by", 1)[0]
    text = re.sub(r"^Exception encountered when calling [^\n]*\n+", "", text.strip())
    return " ".join(text.split())


def _rejected(comp: Compilation, node: Node, err: BaseException) -> CompileError:
    return CompileError([Diagnostic("E700", f"{node.name} ({node.op}): {keras_message(err)}", node.span,
                                    chain=node.chain)], comp.spec.sources)


# ---------------------------------------------------------------------------------------------------------------
# building
# ---------------------------------------------------------------------------------------------------------------

def build_model(comp: Compilation, compile: bool | None = None) -> keras.Model:
    """Builds the Keras functional model of a compiled spec.

    Walks the IR in its (topological) order: ``Input`` nodes become ``keras.Input(shape, dtype, name)``, every
    other node the Keras layer of its registry entry with the node's resolved arguments and name, frozen nodes get
    ``trainable = False``; a layer with one input is called on a tensor, one with several on a list.

    Args:
        comp: the compiled spec.
        compile: compile the model with the spec's ``training:`` section. None (default) compiles when the spec
            has one; True requires one; False never compiles.

    Returns:
        A ``keras.Model`` named after the spec, with the spec's layer names.

    Raises:
        CompileError: E700 when Keras rejects a layer, the model or the training settings.
        ValueError: ``compile=True`` for a spec without a training section.
    """
    keras = _keras()
    layers_mod = keras.layers
    graph = comp.graph
    tensors: dict[str, Any] = {}
    for node in graph.nodes:
        try:
            if node.op == "Input":
                p = node.params
                tensors[node.name] = keras.Input(shape=tuple(p.shape), dtype=p.dtype, name=node.name)
                continue
            layer = getattr(layers_mod, REGISTRY[node.op].keras_name)(**node.params.keras_config(), name=node.name)
            if not node.trainable:
                layer.trainable = False
            ins = node.inputs
            x = tensors[ins[0]] if len(ins) == 1 else [tensors[i] for i in ins]
            tensors[node.name] = layer(x)
        except MemoryError:
            raise
        except Exception as e:
            raise _rejected(comp, node, e) from e
    inputs = [tensors[n] for n in graph.inputs]
    outputs = [tensors[n] for n in graph.outputs]
    try:
        model = keras.Model(inputs[0] if len(inputs) == 1 else inputs,
                            outputs[0] if len(outputs) == 1 else outputs, name=graph.name)
    except MemoryError:
        raise
    except Exception as e:
        raise CompileError([Diagnostic("E700", f"model {graph.name}: {keras_message(e)}",
                                       _span(comp, ("model",)))], comp.spec.sources) from e
    training = comp.spec.training
    if compile is None:
        compile = training is not None
    if compile:
        if training is None:
            raise ValueError(f"{graph.name}: compile=True, but the spec has no training section")
        compile_model(model, comp)
    return model


def _span(comp: Compilation, path: tuple) -> Any:
    doc = comp.spec.root
    return doc.span(path) if doc is not None else None


def compile_model(model: keras.Model, comp: Compilation) -> keras.Model:
    """Compiles ``model`` with the spec's ``training:`` section: the optimizer (a name, or ``{name: {args}}``),
    the loss(es) and the metrics, all by their Keras names. Names Keras does not know are E700 errors (checked now,
    not at the first ``fit``)."""
    keras = _keras()
    t = comp.spec.training
    assert t is not None

    def fail(what: str, path: tuple, err: BaseException) -> CompileError:
        return CompileError([Diagnostic("E700", f"training.{what}: {keras_message(err)}",
                                        _span(comp, ("training",) + path))], comp.spec.sources)

    try:
        if isinstance(t.optimizer, str):
            optimizer = keras.optimizers.get(t.optimizer)
        else:
            (name, args), = t.optimizer.items()
            optimizer = keras.optimizers.get({"class_name": name, "config": dict(args or {})})
    except Exception as e:
        raise fail("optimizer", ("optimizer",), e) from e
    losses = [t.loss] if isinstance(t.loss, str) else list(t.loss)
    for i, loss in enumerate(losses):
        try:
            keras.losses.get(loss)
        except Exception as e:
            raise fail("loss", ("loss",) if isinstance(t.loss, str) else ("loss", i), e) from e
    for i, metric in enumerate(t.metrics):
        if metric in ("accuracy", "acc"):  # resolved by compile() from the loss and the output shape
            continue
        try:
            keras.metrics.get(metric)
        except Exception as e:
            raise fail("metrics", ("metrics", i), e) from e
    try:
        model.compile(optimizer=optimizer, loss=t.loss, metrics=list(t.metrics) or None)
    except Exception as e:
        raise fail("loss", ("loss",), e) from e
    # Build the optimizer's slots now: a model saved before its first fit then loads without Keras warning that
    # the saved optimizer has fewer variables than the model.
    optimizer.build(model.trainable_variables)
    return model


# ---------------------------------------------------------------------------------------------------------------
# weights by layer name
# ---------------------------------------------------------------------------------------------------------------

class WeightsMismatchError(ValueError):
    """Layers with the same name whose weights differ in number or shape (nothing was loaded)."""


@dataclass
class WeightsReport:
    """What :func:`load_weights_by_name` did.

    Attributes:
        loaded: names of the layers whose weights were set.
        missing: layers of the model that have weights but none in the source (left as they were).
        unused: layers of the source with weights that the model has no layer for.
        skipped: with ``skip_mismatch``, layers whose weight shapes differ, as ``name: explanation``.
    """

    loaded: list[str] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)
    unused: list[str] = field(default_factory=list)
    skipped: dict[str, str] = field(default_factory=dict)

    def __str__(self) -> str:
        parts = [f"{len(self.loaded)} layers loaded"]
        if self.missing:
            parts.append(f"{len(self.missing)} without source weights ({_names(self.missing)})")
        if self.unused:
            parts.append(f"{len(self.unused)} source layers unused ({_names(self.unused)})")
        if self.skipped:
            parts.append(f"{len(self.skipped)} skipped for mismatched shapes ({_names(list(self.skipped))})")
        return "; ".join(parts)


def _names(names: Sequence[str], n: int = 5) -> str:
    return ", ".join(names[:n]) + (f" and {len(names) - n} more" if len(names) > n else "")


def load_weights_by_name(model: keras.Model, source: Any, *, skip_mismatch: bool = False,
                         strict: bool = False) -> WeightsReport:
    """Sets the weights of each layer of ``model`` from the layer of the same name in ``source``.

    This is how weights trained elsewhere reach an archc model: the specs under ``specs/keras_applications`` keep
    keras.applications' layer names, so ``load_weights_by_name(model, keras.applications.ResNet50())`` or the
    published ``.h5`` file load into them. Only layers that have weights take part; within a layer the weights are
    matched in the layer's own order (kernel, bias; gamma, beta, moving mean, moving variance).

    Args:
        model: the Keras model to load into (layers are matched recursively into nested models).
        source: a Keras model, or the path of a ``.keras`` model, a Keras 3 ``.weights.h5`` file or a legacy
            Keras 2 ``.h5`` file (whole model or weights only).
        skip_mismatch: leave layers whose weight shapes differ as they are (reported in ``skipped``) instead of
            raising.
        strict: raise unless every layer with weights of ``model`` and of ``source`` was matched.

    Returns:
        A :class:`WeightsReport` listing loaded, missing, unused and skipped layers.

    Raises:
        WeightsMismatchError: layers with the same name have weights of different number or shapes (nothing is
            loaded), or ``strict`` and some layers are unmatched.
        FileNotFoundError, ValueError: the source cannot be read.
    """
    import numpy as np

    keras = _keras()
    if isinstance(source, (str, os.PathLike)):
        src = _read_weights_file(Path(source), keras)
    elif isinstance(source, keras.Model) or isinstance(source, keras.layers.Layer):
        src = {layer.name: [np.asarray(w) for w in layer.get_weights()] for layer in _weighted_layers(source)}
    else:
        raise TypeError(f"source must be a Keras model or a file path. Received: {type(source).__name__}")
    src = {k: v for k, v in src.items() if v}

    report = WeightsReport()
    plan: list[tuple[Any, list]] = []
    problems: list[str] = []
    seen: set[str] = set()
    for layer in _weighted_layers(model):
        name = layer.name
        seen.add(name)
        if name not in src:
            report.missing.append(name)
            continue
        have = [tuple(w.shape) for w in layer.weights]
        new = src[name]
        got = [tuple(np.shape(w)) for w in new]
        if have != got:
            msg = f"{name}: the model has weights of shapes {have}, the source {got}"
            if skip_mismatch:
                report.skipped[name] = msg
                continue
            problems.append(msg)
            continue
        plan.append((layer, new))
    report.unused = [n for n in src if n not in seen]
    if problems:
        raise WeightsMismatchError(f"{len(problems)} layer(s) have weights of other shapes in the source "
                                   f"(nothing was loaded): " + "; ".join(problems))
    if strict and (report.missing or report.unused):
        raise WeightsMismatchError("not every layer was matched by name (nothing was loaded): " + str(report))
    for layer, new in plan:
        layer.set_weights(new)
        report.loaded.append(layer.name)
    return report


def _weighted_layers(model: Any) -> Iterator[Any]:
    """The layers of ``model`` that hold weights, nested models opened."""
    for layer in getattr(model, "layers", [model]):
        if hasattr(layer, "layers") and layer is not model:
            yield from _weighted_layers(layer)
        elif layer.weights:
            yield layer


def _read_weights_file(path: Path, keras: Any) -> dict[str, list]:
    """Weights by layer name from a ``.keras``, Keras 3 ``.weights.h5`` or legacy ``.h5`` file."""
    if not path.is_file():
        raise FileNotFoundError(f"no such file: {path}")
    name = path.name.lower()
    if name.endswith(".keras"):
        loaded = keras.models.load_model(path, compile=False)
        return {layer.name: [w for w in layer.get_weights()] for layer in _weighted_layers(loaded)}
    if not name.endswith((".h5", ".hdf5")):
        raise ValueError(f"cannot read weights from {path}: expected a .keras, .weights.h5 or .h5 file")
    import h5py

    with h5py.File(path, "r") as f:
        root = f["model_weights"] if "model_weights" in f else f
        if "layer_names" in root.attrs:  # legacy (Keras 2 / tf.keras) layout
            return _read_legacy_h5(root)
        if "layers" in root:  # Keras 3 layout: layers/<key>/vars/<i>, the layer's name in vars.attrs["name"]
            out: dict[str, list] = {}
            _read_keras3_group(root["layers"], out, path)
            return out
    raise ValueError(f"cannot read weights from {path}: not a Keras weights file")


def _text(v: Any) -> str:
    return v.decode("utf-8") if isinstance(v, bytes) else str(v)


def _read_legacy_h5(root: Any) -> dict[str, list]:
    import numpy as np

    out: dict[str, list] = {}
    for lname in root.attrs["layer_names"]:
        lname = _text(lname)
        g = root[lname]
        out[lname] = [np.asarray(g[_text(w)]) for w in g.attrs.get("weight_names", [])]
    return out


def _read_keras3_group(group: Any, out: dict[str, list], path: Path) -> None:
    import numpy as np

    for key in group:
        g = group[key]
        if "vars" in g:
            v = g["vars"]
            name = _text(v.attrs.get("name", key))
            arrays = [np.asarray(v[str(i)]) for i in range(len(v))]
            if arrays:
                if name in out:
                    raise ValueError(f"cannot read weights from {path}: two layers are called {name!r}")
                out[name] = arrays
        if "layers" in g:
            _read_keras3_group(g["layers"], out, path)
