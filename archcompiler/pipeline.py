"""The compiler's stage order, in one place: resolve (parse, validate, extends and imports: load.py) -> expand
(entries, then naming, then unused outputs: expand.py) -> infer -> count -> check ceilings and expectations
(expect.py).

Backends (the table in backends/__init__.py) read the resulting :class:`Compilation`; none of these stages imports
Keras.
"""

from __future__ import annotations

import gc
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterator

from .check import check_blocks, uncalled_blocks
from .diagnostics import CompileError
from .expand import expand_partial
from .expect import check_expectations
from .infer import infer_partial
from .ir import Graph, TensorType, dump
from .layers import REGISTRY
from .load import ResolvedSpec, resolve_file, resolve_text
from .expressions import work_budget
from .source import SourceFile, Span
from .stats import Ceilings, Stats, check_ceilings, count


@dataclass(frozen=True)
class Compilation:
    """A compiled spec: the resolved spec, the IR graph, every tensor type and the counts.

    Backends read what this class exposes (the graph, the types, the counts, and the properties and methods below:
    names, sources, spans of the spec's entries, the training section), not the resolved spec's insides.
    """

    spec: ResolvedSpec
    graph: Graph
    types: dict[str, TensorType]
    stats: Stats
    overrides: tuple[tuple[str, Any], ...] = ()

    @property
    def name(self) -> str:
        """The model's name (the spec's ``name:``, else its file's stem)."""
        return self.graph.name

    @property
    def description(self) -> str:
        """The spec's ``description:`` ("" when it has none)."""
        return self.spec.description

    @property
    def path(self) -> str:
        """The spec file as messages name it (the name given for a spec compiled from text)."""
        return self.spec.path

    @property
    def sources(self) -> dict[str, SourceFile]:
        """Every file the spec was compiled from, by the name messages use: what a CompileError needs to show
        source lines."""
        return self.spec.sources

    @property
    def training(self) -> Any:
        """The spec's ``training:`` section (a :class:`~archcompiler.training.Training`), or None."""
        return self.spec.training

    @property
    def layer_count(self) -> int:
        """The number of Keras layers, as ``len(model.layers)`` counts them (inputs included): every node but the
        tensor arithmetic (``AddConstant``, ``MultiplyConstant``, ``AddTensors``), which Keras keeps as operations, not layers."""
        return sum(1 for n in self.graph.nodes if REGISTRY[n.op].is_layer)

    def span_of(self, path: tuple) -> Span | None:
        """Where the entry at ``path`` (keys and indexes from the top of the spec file, e.g.
        ``("training", "loss")``) is written in the spec file; when it is not written there (inherited through
        ``extends``, or a default), the nearest enclosing entry that is, up to the whole file."""
        doc = self.spec.root
        return doc.span(path) if doc is not None else None

    @property
    def output_shapes(self) -> list[tuple]:
        """Output shapes without the batch dimension."""
        return [self.types[o].shape for o in self.graph.outputs]

    def ir(self) -> str:
        """The IR as stable text."""
        return dump(self.graph, self.types)

    def emit(self, backend: str, **options: Any) -> Any:
        """What the backend called ``backend`` (a name of :data:`archcompiler.backends.BACKENDS`) makes of this
        compilation, with its ``options``; its module is imported now."""
        from .backends import backend as find
        return find(backend).function()(self, **options)

    def summary(self, format: str = "text", depth: int | None = None) -> str:
        """The static summary as ``text``, ``json`` or ``markdown`` (no TensorFlow involved)."""
        return self.emit("summary", fmt=format, depth=depth)

    def summary_data(self) -> dict:
        """The static summary as a JSON-ready dict."""
        from .backends.summary import summary_data
        return summary_data(self)

    def to_keras(self, compile: bool | None = None) -> Any:
        """Builds the Keras functional model (imports Keras now). Compiled when the spec has a training section,
        unless ``compile=False``."""
        return self.emit("keras", compile=compile)

    def to_dot(self, **options: Any) -> str:
        """The architecture diagram as Graphviz DOT text (see backends/dot/emit.py, to_dot, for the options)."""
        return self.emit("dot", **options)


@contextmanager
def collector_paused() -> Iterator[None]:
    """Pauses Python's cyclic garbage collector (when it runs). The stages after loading make a few objects per
    layer that live on, and no reference cycles: each full collection on the way would walk all of them and every
    other object of the program again, the part of their cost that grew faster than the network (see
    docs/performance.md)."""
    paused = gc.isenabled()
    if paused:
        gc.disable()
    try:
        yield
    finally:
        if paused:
            gc.enable()


@collector_paused()
def run_stages(spec: ResolvedSpec, overrides: dict[str, Any] | None = None,
               ceilings: Ceilings | None = None) -> Compilation:
    """Runs every stage after loading, the collector paused; raises CompileError with all the problems found:
    expansion's and the shape errors of what did expand, together (and those of the blocks the model never calls,
    checked on their own as in :func:`check_library`). Size ceilings and expectations are checked on a spec
    without other errors. One work budget covers every expression of the spec, and ``ceilings`` bound its size
    (defaults: :class:`Ceilings`)."""
    with work_budget():
        try:
            graph, expanded = expand_partial(spec, overrides)
        except CompileError as e:  # nothing to infer: the spec's parameters, or a hard limit
            raise CompileError([*spec.deferred, *e.diagnostics, *check_blocks(spec, uncalled_blocks(spec, None))],
                               {**spec.sources, **e.sources}) from None
        # Shapes are inferred even when an entry failed (the graph then holds what did expand), so that a mistake
        # in one place does not hide a shape error in another; the blocks a failed call did not instantiate are
        # not checked on their own again (their call reported what was wrong).
        types, shapes = infer_partial(graph)
        called = graph if not expanded else None
        problems = [*spec.deferred, *expanded, *shapes, *check_blocks(spec, uncalled_blocks(spec, called))]
    if problems:
        raise CompileError(problems, spec.sources)
    stats = count(graph, types)
    too_big = check_ceilings(graph, types, stats, ceilings or Ceilings())
    if too_big:
        raise CompileError(too_big, spec.sources)
    comp = Compilation(spec, graph, types, stats, tuple(sorted((overrides or {}).items())))
    if spec.training is not None:  # training.py is imported only for a spec with a training section
        from .training import check_outputs, model_outputs
        written = spec.model.value.outputs if spec.model is not None else None
        refs = [written] if isinstance(written, str) else written
        misfits = check_outputs(spec.training, model_outputs(graph, types), comp.span_of, refs)
        if misfits:
            raise CompileError(misfits, spec.sources)
    check_expectations(comp)
    return comp


def check_library(spec: ResolvedSpec) -> None:
    """Checks a block library (a spec with blocks and no model) without a caller: the defaults of its parameters
    and every block's body, for any arguments (see check.py).

    Raises:
        CompileError: every problem found, with those loading deferred (unknown keys).
    """
    with work_budget():
        problems = [*spec.deferred, *check_blocks(spec, spec.blocks, spec_params=True)]
    if problems:
        raise CompileError(problems, spec.sources)


def compile_file(path: str | Path, overrides: dict[str, Any] | None = None,
                 ceilings: Ceilings | None = None) -> Compilation:
    """Compiles the spec at ``path`` (YAML or JSON)."""
    return run_stages(resolve_file(path), overrides, ceilings)


def compile_text(text: str, name: str = "<string>", overrides: dict[str, Any] | None = None,
                 base_dir: str | Path | None = None, ceilings: Ceilings | None = None) -> Compilation:
    """Compiles spec text; ``name`` is used in messages (and picks JSON checks when it ends in .json)."""
    return run_stages(resolve_text(text, name, base_dir), overrides, ceilings)

