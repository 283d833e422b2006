"""The Keras backend: a :class:`~archcompiler.pipeline.Compilation` becomes a ``keras.Model`` (functional API).

This is the only module of archc that imports Keras (and with it TensorFlow), and it does so inside its functions,
so that importing archc stays cheap. This is the one place where a layer's neutral arguments (``to_config()``,
plain data) become Keras: :func:`make_layer` makes every layer from its registry entry,
``getattr(keras.layers, defn.keras_name)(**params.to_config(), name=name)`` (a plugin's type: the class its
registration names, :func:`keras_class`), and :func:`call_layer` calls it on its
inputs as the entry's ``call_style`` says (the layer oracle tests make and call their layers with the same two
functions); inputs are ``keras.Input``. Initializers (with their seeds), regularizers, activations and every other
argument therefore reach Keras as the spec wrote them, and the model saved as ``.keras`` loads without custom
objects (a plugin's layers: wherever the plugin's Keras module, which registers them, is imported).

Anything Keras rejects (the static checks should have caught it first) is reported as error E700 at the spec entry
that made the layer, never as a bare traceback.

A spec's ``training:`` section compiles the model as ``model.compile`` does, leaving the optimizer unbuilt (its
slots come with the first ``fit``). :func:`save_model` saves such a model so that ``keras.models.load_model``
loads it without a warning and the file is no bigger than Keras's own (``archc build`` saves with it).

Importing TensorFlow through this module keeps its start-up messages off standard error (see :func:`_keras`;
``ARCHC_TF_LOG=1`` lets them through).

:func:`load_weights_by_name` copies weights into a model layer by layer, matching layer names: from another Keras
model, a ``.keras`` file, a Keras 3 ``.weights.h5`` file or a legacy (Keras 2) ``.h5`` file such as published
ImageNet weights. The ``specs/keras_applications`` specs keep keras.applications' layer names for this reason.
State that a layer derives from its weights (Normalization's mean and variance, as ``adapt()`` leaves them) follows
the weights.
"""

from __future__ import annotations

import gc
import os
import re
import shutil
import sys
import tempfile
import zipfile
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable, Iterator, Sequence

from ..diagnostics import CompileError, Diagnostic
from ..layers import REGISTRY

if TYPE_CHECKING:  # pragma: no cover
    import keras

    from ..ir import Node
    from ..layers import LayerDef, LayerParams
    from ..pipeline import Compilation

__all__ = ["build_model", "compile_model", "make_layer", "call_layer", "save_model", "load_weights_by_name",
           "WeightsReport", "WeightsMismatchError"]


#: Set to 1 to let TensorFlow's start-up messages through unfiltered (see :func:`_keras`).
TF_LOG_VARIABLE = "ARCHC_TF_LOG"

#: A line of TensorFlow's C++ log: severity (Info, Warning, Error, Fatal), MMDD, time (its seconds may count from
#: 1970 before absl is initialised), thread id, file:line].
_TF_LOG_LINE = re.compile(rb"([IWEF])\d{4} \d\d:\d\d:\d+\.\d+ +\d+ [^\s\]]+:\d+\] ")
#: What absl prints (as a warning) before its first message when logging is not initialised yet.
_ABSL_NOTICE = b"WARNING: All log messages before absl::InitializeLog() is called are written to STDERR"
#: Lines that start Python's own output (a traceback, a warning), never the continuation of a TensorFlow record.
_PYTHON_LINE = re.compile(rb"Traceback \(|[^\n]*\.py:\d+: \w*(Warning|Error)\b")


def _keras() -> Any:
    """Imports Keras, keeping TensorFlow's start-up chatter off standard error unless the user asked for it.

    Importing TensorFlow prints informational lines (oneDNN, CPU instructions, absl's notice) from C++ code, straight
    to file descriptor 2 and before TensorFlow reads ``TF_CPP_MIN_LOG_LEVEL``, so the variable alone does not
    silence them. Unless ``ARCHC_TF_LOG=1``, the import therefore runs with descriptor 2 pointing at a temporary
    file; afterwards every log record below the level (``TF_CPP_MIN_LOG_LEVEL`` when the user set it, else 2:
    errors and fatal errors only) is dropped and everything else is written back to descriptor 2 as it came. When
    the import fails, everything it wrote goes through. ``TF_CPP_MIN_LOG_LEVEL`` is set to 2 for TensorFlow's own
    later messages unless the user set it (or ``ARCHC_TF_LOG=1``).

    The cyclic garbage collector is paused during the import: importing TensorFlow allocates hundreds of thousands
    of objects, and every full collection on the way walks all of them plus those of archc and its caller; without
    the pause the import takes 0.1-0.3 s longer (see docs/performance.md)."""
    keras = sys.modules.get("keras")
    if keras is not None:
        return keras
    verbose = os.environ.get(TF_LOG_VARIABLE, "").strip() not in ("", "0")
    level = _tf_log_level()
    if not verbose:
        os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    paused = gc.isenabled()
    if paused:
        gc.disable()
    try:
        with _fd2_filtered(None if verbose else level):
            import keras
    except ImportError as e:
        raise ImportError(f"building Keras models needs TensorFlow and Keras ({e}); install them with "
                          f"pip install 'archcompiler[keras]'") from e
    finally:
        if paused:
            gc.enable()
    return keras


def _tf_log_level() -> int:
    """The lowest severity shown: ``TF_CPP_MIN_LOG_LEVEL`` when set to 0-3, else 2."""
    value = os.environ.get("TF_CPP_MIN_LOG_LEVEL", "").strip()
    return int(value) if value in ("0", "1", "2", "3") else 2


def without_chatter(text: bytes, level: int) -> bytes:
    """``text`` (what went to standard error) without TensorFlow log records of a severity below ``level``
    (0 info, 1 warning, 2 error, 3 fatal; fatal errors always stay).

    A record is a line in TensorFlow's log format and the lines that follow it up to the next record or to a line
    that is not part of it (a multi-line message such as the CPU-instructions one); absl's "All log messages
    before absl::InitializeLog()" notice counts as a warning. Every other line is kept."""
    out: list[bytes] = []
    keep = True  # for lines that are not TensorFlow's
    in_record = False
    for line in text.splitlines(keepends=True):
        m = _TF_LOG_LINE.match(line)
        if m:
            in_record = True
            keep = "IWEF".index(m.group(1).decode()) >= min(level, 3)
        elif line.rstrip(b"\r\n") == _ABSL_NOTICE:
            in_record = False
            if level >= 1:
                continue
            keep = True
        elif not in_record or not line.strip() or _PYTHON_LINE.match(line):
            in_record = False
            keep = True
        if keep:
            out.append(line)
    return b"".join(out)


@contextmanager
def _fd2_filtered(level: int | None) -> Iterator[None]:
    """Runs the block with file descriptor 2 redirected to a temporary file, then writes what was written there
    back to descriptor 2: through :func:`without_chatter` when the block succeeded, all of it when it raised.
    ``level`` None (or no usable descriptor 2) runs the block as it is. ``sys.stderr`` is flushed before and after,
    so that what Python writes there in the meantime is captured (and kept) in its place."""
    if level is None:
        yield
        return
    try:
        saved = os.dup(2)
    except OSError:  # no standard error at all
        yield
        return
    ok = False
    try:
        with tempfile.TemporaryFile() as buf:
            _flush_stderr()
            os.dup2(buf.fileno(), 2)
            try:
                yield
                ok = True
            finally:
                _flush_stderr()
                os.dup2(saved, 2)
                buf.seek(0)
                text = buf.read()
                # not archc's output: what TensorFlow wrote to standard error, less the chatter, in its place
                _write_fd(2, without_chatter(text, level) if ok else text)
    finally:
        os.close(saved)


def _flush_stderr() -> None:
    try:
        sys.stderr.flush()
    except (AttributeError, OSError, ValueError):
        pass


def _write_fd(fd: int, data: bytes) -> None:
    while data:
        try:
            n = os.write(fd, data)
        except OSError:
            return
        data = data[n:]


_ANSI = re.compile(r"\x1b\[[0-9;]*m")


def keras_message(err: BaseException) -> str:
    """Keras's message for ``err`` on one line: colour codes and the "Arguments received by ..." trailer dropped."""
    text = _ANSI.sub("", str(err)) or type(err).__name__
    text = text.split("\n\nArguments received by", 1)[0]
    text = re.sub(r"^Exception encountered when calling [^\n]*\n+", "", text.strip())
    return " ".join(text.split())


def _rejected(comp: Compilation, node: Node, err: BaseException) -> CompileError:
    return CompileError([Diagnostic("E700", f"{node.name} ({node.op}): {keras_message(err)}", node.span,
                                    chain=node.chain)], comp.sources)


# ---------------------------------------------------------------------------------------------------------------
# building
# ---------------------------------------------------------------------------------------------------------------

#: The tensor arithmetic of the ``operation`` entries (layers/operations.py), by registry key: what
#: keras.applications writes as ``x + 3.0`` or ``x * (1.0 / 6.0)``, an operation of the graph and not a layer.
_OPERATIONS: dict[str, Callable[..., Any]] = {
    "AddConstant": lambda p, x: x + p.value,
    "MultiplyConstant": lambda p, x: x * p.value,
    "AddTensors": lambda p, x, y: x + y,
}


def make_layer(defn: LayerDef, params: LayerParams, name: str) -> Any:
    """The Keras layer of registry entry ``defn`` with the arguments ``params`` and the name ``name`` (not called
    on anything yet). A wrapper's inner layer (Bidirectional's ``layer``) is made first, the same way, named by
    its type's default stem. A container (Sequential) is a ``keras.Sequential`` of its inner layers, each made the
    same way with its own name. For an ``operation`` entry, the function that applies its arithmetic to its
    tensors (Keras names the operation itself)."""
    from ..layers.containers import Members
    from ..layers.wrappers import Wrapped, inner_name

    if not defn.is_layer:
        arithmetic = _OPERATIONS[defn.op]
        return lambda *xs: arithmetic(params, *xs)
    members = getattr(params, "layers", None)
    if isinstance(members, Members):
        return _keras().Sequential([make_layer(m.defn, m.params, m.name) for m in members], name=name)

    config = params.to_config()
    for key in config:
        value = getattr(params, key)
        if isinstance(value, Wrapped):
            config[key] = make_layer(value.defn, value.params, inner_name(name, value))
    return keras_class(defn)(**config, name=name)


def keras_class(defn: LayerDef) -> Any:
    """The Keras class of registry entry ``defn``: ``keras.layers.<keras_name>``, or for a plugin's type the class
    its ``keras_path`` names (``package.module:Class``), its module imported now, or a keras.applications class
    (``keras_module``). The path comes from the registry or the installed package's registration
    (layers/plugins.py), never from a spec."""
    keras = _keras()
    import importlib

    if defn.keras_module:  # a class of keras.applications' own modules, from the registry (never from a spec)
        return getattr(importlib.import_module(defn.keras_module), defn.keras_name)
    if not defn.keras_path:
        return getattr(keras.layers, defn.keras_name)

    module, _, attr = defn.keras_path.partition(":")
    try:
        cls = getattr(importlib.import_module(module), attr)
    except Exception as e:
        raise ImportError(f"the Keras class {defn.keras_path} of layer type {defn.op} cannot be imported: "
                          f"{type(e).__name__}: {e}") from e
    if not (isinstance(cls, type) and issubclass(cls, keras.layers.Layer)):
        raise TypeError(f"{defn.keras_path} (layer type {defn.op}) is not a Keras layer class. Received: "
                        f"{type(cls).__name__}")
    return cls


#: How a layer is called on its input tensors, by ``LayerDef.call_style`` (layers/base.py ``CALL_STYLES``):
#: (layer, tensors, their names, call options) -> the layer's output(s).
_CALLS: dict[str, Callable[[Any, list[Any], Sequence[str], dict], Any]] = {
    "tensor": lambda layer, xs, names, opts: layer(xs[0], **opts),
    "list": lambda layer, xs, names, opts: layer(list(xs), **opts),
    "named": lambda layer, xs, names, opts: layer(**dict(zip(names, xs)), **opts),
    "sequence": lambda layer, xs, names, opts: layer(xs[0], initial_state=list(xs[1:]) or None, **opts),
    "operation": lambda apply, xs, names, opts: apply(*xs),
}


def call_layer(defn: LayerDef, layer: Any, inputs: Sequence[Any], names: Sequence[str] = (),
               params: LayerParams | None = None) -> list[Any]:
    """Calls ``layer`` (made by :func:`make_layer` for ``defn``) on its input tensors as ``defn.call_style`` says:
    ``tensor`` on the one input, ``list`` on the list of them, ``named`` by their ``names`` (``query=...``), with
    the call options of ``params`` (``use_causal_mask``). Returns the outputs as a list: one tensor, or one per
    output name of a layer with several (``output, state_h, state_c``)."""
    options = params.call_options() if params is not None else {}
    names = names or defn.input_names[:len(inputs)]
    out = _CALLS[defn.call_style](layer, list(inputs), names, options)
    if params is not None and defn.output_names(params):
        return list(out)
    return [out]


def build_model(comp: Compilation, compile: bool | None = None) -> keras.Model:
    """Builds the Keras functional model of a compiled spec.

    Walks the IR in its (topological) order: ``Input`` nodes become ``keras.Input(shape, dtype, name)``, every
    other node the Keras layer of its registry entry with the node's resolved arguments and name (:func:`make_layer`),
    frozen nodes get ``trainable = False``; each layer is called on its inputs as its entry says (:func:`call_layer`:
    one tensor, a list of them for the merges, or by name), and each of its outputs is the tensor its IR
    reference names (``lstm``, ``lstm:state_h``).

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
    graph = comp.graph
    tensors: dict[str, Any] = {}
    for node in graph.nodes:
        try:
            if node.op == "Input":
                p = node.params
                tensors[node.name] = keras.Input(shape=tuple(p.shape), dtype=p.dtype, name=node.name)
                continue
            defn = REGISTRY[node.op]
            layer = make_layer(defn, node.params, node.name)
            if not node.trainable and defn.is_layer:
                layer.trainable = False
            outs = call_layer(defn, layer, [tensors[i] for i in node.inputs], node.input_names, node.params)
            tensors.update(zip(node.tensors, outs))
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
                                       comp.span_of(("model",)))], comp.sources) from e
    training = comp.training
    if compile is None:
        compile = training is not None
    if compile:
        if training is None:
            raise ValueError(f"{graph.name}: compile=True, but the spec has no training section")
        compile_model(model, comp)
    return model


def compile_model(model: keras.Model, comp: Compilation) -> keras.Model:
    """Compiles ``model`` with the spec's ``training:`` section: the optimizer (its class called with the spec's
    checked arguments), the loss(es), loss weights and metrics by their Keras names, per output in output order
    (``training.keras_arguments``: a mapping in the spec is matched by output name here). What Keras still rejects
    is an E700 error (now, not at the first ``fit``)."""
    keras = _keras()
    t = comp.training
    assert t is not None

    def fail(what: str, path: tuple, err: BaseException) -> CompileError:
        return CompileError([Diagnostic("E700", f"training.{what}: {keras_message(err)}",
                                        comp.span_of(("training",) + path))], comp.sources)

    try:
        # The class comes from archc's own table and the arguments are plain values checked statically
        # (training.py): nothing from the spec goes through Keras's deserializer.
        optimizer = getattr(keras.optimizers, t.optimizer.keras_class)(**t.optimizer.kwargs())
    except Exception as e:
        raise fail("optimizer", ("optimizer",), e) from e
    from ..training import keras_arguments

    names = list(comp.graph.outputs)
    args = keras_arguments(t, names)
    # Keras's own lookup of every name, each reported at the place the spec writes it.
    for key in ("loss", "metrics"):
        given = getattr(t, key)
        for o, item in enumerate((args[key] or []) if len(names) > 1 else [args[key]]):
            for m, name in enumerate([item] if isinstance(item, str) else item or []):
                if name in ("accuracy", "acc"):  # resolved by compile() from the output shape
                    continue
                try:
                    (keras.losses if key == "loss" else keras.metrics).get(name)
                except Exception as e:
                    raise fail(key, _written_at(given, key, names, o, m), e) from e
    try:
        model.compile(optimizer=optimizer, **args)
    except Exception as e:
        raise fail("loss", ("loss",), e) from e
    # The optimizer is left unbuilt, as compile() leaves it: its slots (two per weight for Adam) are made by the
    # first fit. save_model() writes the file of such a model so that it loads without a warning.
    return model


def _written_at(given: Any, key: str, names: list[str], output: int, item: int) -> tuple:
    """Where the spec writes item ``item`` of output ``output`` of its ``loss`` or ``metrics`` (a path under
    ``training``), for a message about it."""
    if isinstance(given, str):
        return (key,)
    if isinstance(given, dict):
        value, path = given.get(names[output]), (key, names[output])
    elif len(names) > 1:
        value, path = given[output], (key, output)
    else:  # one output, a flat list of metrics (each a name or a list of names)
        flat = [(i, j) for i, v in enumerate(given) for j in range(1 if isinstance(v, str) else len(v))]
        i, j = flat[item]
        return (key, i) if isinstance(given[i], str) else (key, i, j)
    return path if isinstance(value, str) else path + (item,)


# ---------------------------------------------------------------------------------------------------------------
# saving
# ---------------------------------------------------------------------------------------------------------------

#: Optimizer variables of at least this many bytes get their storage allocated in the file (filled with their
#: initial value by HDF5): Keras refuses to read a dataset over 4 GiB that stores almost nothing.
ALLOCATE_FROM_BYTES = 1 << 30

#: Data types an optimizer variable may have for its initial state to be written here (others: a real build).
_PLAIN_DTYPES = frozenset({"float16", "float32", "float64", "int8", "int16", "int32", "int64", "uint8", "uint16",
                           "uint32", "uint64", "bool"})


@dataclass
class _Slot:
    """An optimizer variable that ``optimizer.build`` would make: what the saved file needs to know of it."""

    name: str
    shape: tuple[int, ...]
    dtype: str
    initializer: Any


def save_model(model: keras.Model, path: str | os.PathLike) -> None:
    """Saves ``model`` as a ``.keras`` file, as ``model.save(path)`` does, and such that ``keras.models.load_model``
    loads it without a warning when the model is compiled but not trained yet.

    ``load_model`` compiles such a model and builds its optimizer, which makes the optimizer's slots (Adam: a
    momentum and a velocity per trainable weight), then looks for their values in the file; ``model.save`` of an
    optimizer that has not been built yet stored only its step counter and learning rate, so Keras warns that it
    skips loading the optimizer ("Skipping variable loading for optimizer ..."). Building the optimizer before
    saving avoids that but writes every slot: zeros twice the size of the weights for Adam (a file three times as
    big), and seconds of work for a large network. Here the file Keras writes is completed instead with the slots
    the optimizer would make, each holding its initial value as the HDF5 fill value, which takes no room in the
    file (a slot of 1 GiB or more is written in full: Keras does not read large datasets without stored data).

    The slots are found by building a copy of the optimizer (from its config) whose ``add_variable`` records each
    variable instead of making it. An optimizer that is not one of Keras's own, wraps others (loss scaling, several
    optimizers) or has variables of an unusual type is built for real, and the file then holds every slot as Keras
    writes it.

    Args:
        model: a Keras model (built; compiled or not).
        path: the ``.keras`` file to write.
    """
    keras = _keras()
    path = Path(path)
    slots = _unbuilt_slots(model, keras)
    if not slots:  # None: cannot be known without a build; []: not compiled, trained already, nothing to add
        if slots is None:
            model.optimizer.build(model.trainable_variables)
        model.save(path)
        return
    work = path.with_name(path.name + ".work")  # beside the staged file, and named like it (files.temp_path)
    work.mkdir()
    try:
        saved = work / "model"
        model.save(saved, zipped=False)
        if not _add_slots(saved / "model.weights.h5", model.optimizer, slots):
            model.optimizer.build(model.trainable_variables)  # the file is not laid out as expected
            model.save(path)
            return
        _zip_directory(saved, path)
    finally:
        shutil.rmtree(work, ignore_errors=True)


def _unbuilt_slots(model: Any, keras: Any) -> list[Any] | None:
    """The variables that building the optimizer of ``model`` would add, in their order: a :class:`_Slot` for each
    one ``add_variable`` would make, the variable itself for each one the optimizer makes directly (a scalar of
    Nadam's, placeholders of Adafactor's). [] when there is nothing to add (no compiled model, an optimizer already
    built, no trainable weights); None when they cannot be known without building it."""
    optimizer = getattr(model, "optimizer", None)
    if not getattr(model, "compiled", False) or optimizer is None or getattr(optimizer, "built", True):
        return []
    if not model.trainable_variables:
        return []
    wrappers = tuple(c for c in (getattr(keras.optimizers, "LossScaleOptimizer", None),
                                 getattr(keras.optimizers, "MultiOptimizer", None)) if isinstance(c, type))
    if not isinstance(optimizer, keras.optimizers.Optimizer) or isinstance(optimizer, wrappers) \
            or not type(optimizer).__module__.startswith("keras."):
        return None
    try:
        twin = type(optimizer).from_config(optimizer.get_config())
        first = len(twin.variables)
        if [tuple(v.shape) for v in twin.variables] != [tuple(v.shape) for v in optimizer.variables]:
            return None
        recorded: list[tuple[int, _Slot]] = []  # (variables tracked when it was asked for, the slot)

        def record(shape: Any, initializer: Any = "zeros", dtype: Any = None, aggregation: Any = "none",
                   layout: Any = None, name: Any = None) -> _Slot:
            dt = keras.backend.standardize_dtype(dtype or keras.backend.floatx())
            slot = _Slot(str(name), tuple(int(d) for d in shape), dt, keras.initializers.get(initializer))
            recorded.append((len(twin.variables), slot))
            return slot

        twin.add_variable = record
        twin.build(model.trainable_variables)  # a slot used during the build (an assign...) raises: None below
        direct = twin.variables[first:]
    except Exception:
        return None
    # A real build tracks each slot as it is made, between the variables the optimizer makes directly.
    order: list[Any] = []
    taken = 0
    for tracked, slot in recorded:
        while first + taken < tracked:
            order.append(direct[taken])
            taken += 1
        order.append(slot)
    order.extend(direct[taken:])
    if any(keras.backend.standardize_dtype(v.dtype) not in _PLAIN_DTYPES for v in order):
        return None
    return order


def _fill_value(slot: Any, keras: Any) -> Any:
    """The slot's initial value as a scalar when it is the same everywhere (zeros, ones, a constant), else None
    (also for a variable made directly, whose value is written as it is)."""
    import numpy as np

    if not isinstance(slot, _Slot):
        return None
    init = slot.initializer
    if isinstance(init, keras.initializers.Zeros):
        value: Any = 0
    elif isinstance(init, keras.initializers.Ones):
        value = 1
    elif isinstance(init, keras.initializers.Constant) and np.ndim(init.get_config().get("value")) == 0:
        value = init.get_config()["value"]
    else:
        return None
    return np.array(value, dtype=slot.dtype)


def _add_slots(weights: Path, optimizer: Any, slots: list[Any]) -> bool:
    """Adds ``slots`` after the variables saved for the unbuilt ``optimizer`` in the weights file; False (and the
    file unchanged) when its optimizer entry is not the one expected."""
    import h5py
    import numpy as np

    keras = _keras()
    with h5py.File(weights, "r+") as f:
        group = f.get("optimizer/vars")
        have = len(optimizer.variables)
        if not isinstance(group, h5py.Group) or group.attrs.get("name") != optimizer.name \
                or sorted(group.keys(), key=lambda k: int(k) if k.isdigit() else -1) != [str(i) for i in range(have)]:
            return False
        for i, slot in enumerate(slots, start=have):
            fill = _fill_value(slot, keras)
            if fill is None:  # not a constant: the values themselves
                if isinstance(slot, _Slot):
                    value = keras.ops.convert_to_numpy(slot.initializer(slot.shape, dtype=slot.dtype))
                else:
                    value = keras.ops.convert_to_numpy(slot.value)
                group.create_dataset(str(i), data=np.asarray(value, dtype=slot.dtype))
                continue
            dcpl = h5py.h5p.create(h5py.h5p.DATASET_CREATE)
            if int(np.prod(slot.shape, dtype=np.int64)) * fill.dtype.itemsize >= ALLOCATE_FROM_BYTES:
                dcpl.set_alloc_time(h5py.h5d.ALLOC_TIME_EARLY)
            dcpl.set_fill_value(fill)
            group.create_dataset(str(i), shape=slot.shape, dtype=fill.dtype, dcpl=dcpl)
    return True


def _zip_directory(directory: Path, path: Path) -> None:
    """Writes the files of a model saved with ``zipped=False`` into the ``.keras`` archive ``path`` as Keras
    does (stored, not compressed; metadata and config first), with fixed timestamps."""
    first = ["metadata.json", "config.json"]
    files = sorted((p for p in directory.rglob("*") if p.is_file()),
                   key=lambda p: (first.index(p.name) if p.name in first and p.parent == directory else len(first),
                                  p.relative_to(directory).as_posix()))
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_STORED) as zf:
        for p in files:
            info = zipfile.ZipInfo(p.relative_to(directory).as_posix(), date_time=(1980, 1, 1, 0, 0, 0))
            info.external_attr = 0o644 << 16
            info.file_size = p.stat().st_size
            with open(p, "rb") as src, zf.open(info, "w") as dst:
                shutil.copyfileobj(src, dst, 1 << 20)


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
        _state_from_weights(layer)
        report.loaded.append(layer.name)
    return report


def _state_from_weights(layer: Any) -> None:
    """Lets a layer that computes tensors from its weights recompute them after ``set_weights``: Normalization
    reads its mean and variance weights into the tensors it normalises with when it is built, adapted or loaded
    from a file (``finalize_state``), not when its weights are set, so without this it would keep the old ones."""
    finalize = getattr(layer, "finalize_state", None)
    if callable(finalize):
        finalize()


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
