"""The compiler's stage order, in one place: parse -> validate -> expand -> infer -> count -> check ceilings and
expectations.

Backends (summary, DOT, Keras) read the resulting :class:`Compilation`; none of these stages imports Keras.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .check import check_blocks, uncalled_blocks
from .diagnostics import Collector, CompileError
from .expand import expand
from .infer import infer
from .ir import Graph, TensorType, dump
from .load import ResolvedSpec, load, load_text
from .expressions import work_budget
from .stats import Ceilings, Stats, check_ceilings, count


@dataclass(frozen=True)
class Compilation:
    """A compiled spec: the resolved spec, the IR graph, every tensor type and the counts."""

    spec: ResolvedSpec
    graph: Graph
    types: dict[str, TensorType]
    stats: Stats
    overrides: tuple[tuple[str, Any], ...] = ()

    @property
    def name(self) -> str:
        return self.graph.name

    @property
    def output_shapes(self) -> list[tuple]:
        """Output shapes without the batch dimension."""
        return [self.types[o].shape for o in self.graph.outputs]

    def ir(self) -> str:
        """The IR as stable text."""
        return dump(self.graph, self.types)

    def summary(self, format: str = "text", depth: int | None = None) -> str:
        """The static summary as ``text``, ``json`` or ``markdown`` (no TensorFlow involved)."""
        from .backends.summary import render
        return render(self, format, depth)

    def summary_data(self) -> dict:
        """The static summary as a JSON-ready dict."""
        from .backends.summary import summary_data
        return summary_data(self)

    def to_keras(self, compile: bool | None = None) -> Any:
        """Builds the Keras functional model (imports Keras now). Compiled when the spec has a training section,
        unless ``compile=False``."""
        from .backends.keras import build_model
        return build_model(self, compile=compile)

    def to_dot(self, **options: Any) -> str:
        """The architecture diagram as Graphviz DOT text (see backends/dot/emit.py, to_dot, for the options)."""
        from .backends.dot import to_dot
        return to_dot(self, **options)


def run_stages(spec: ResolvedSpec, overrides: dict[str, Any] | None = None,
               ceilings: Ceilings | None = None) -> Compilation:
    """Runs every stage after loading; raises CompileError with all the problems found (in the blocks the model
    never calls too, checked on their own as in :func:`check_library`). One work budget covers every expression
    of the spec, and ``ceilings`` bound its size (defaults: :class:`Ceilings`)."""
    with work_budget():
        graph = None
        try:
            graph = expand(spec, overrides)
            types = infer(graph, spec.sources)
        except CompileError as e:
            raise CompileError([*spec.deferred, *e.diagnostics, *check_blocks(spec, uncalled_blocks(spec, graph))],
                               {**spec.sources, **e.sources}) from None
        problems = [*spec.deferred, *check_blocks(spec, uncalled_blocks(spec, graph))]
    if problems:
        raise CompileError(problems, spec.sources)
    stats = count(graph, types)
    too_big = check_ceilings(graph, types, stats, ceilings or Ceilings())
    if too_big:
        raise CompileError(too_big, spec.sources)
    comp = Compilation(spec, graph, types, stats, tuple(sorted((overrides or {}).items())))
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
    return run_stages(load(path), overrides, ceilings)


def compile_text(text: str, name: str = "<string>", overrides: dict[str, Any] | None = None,
                 base_dir: str | Path | None = None, ceilings: Ceilings | None = None) -> Compilation:
    """Compiles spec text; ``name`` is used in messages (and picks JSON checks when it ends in .json)."""
    return run_stages(load_text(text, name, base_dir), overrides, ceilings)


def check_expectations(comp: Compilation) -> None:
    """Checks the spec's ``expect:`` section against the computed figures (E500 for each that differs).

    Expectations describe the spec as written: with --set overrides they are not checked.
    """
    loc = comp.spec.expect
    if loc is None or comp.overrides:
        return
    exp = loc.value
    total = comp.stats.total
    got: dict[str, Any] = {
        "total_params": total.total, "trainable_params": total.trainable,
        "non_trainable_params": total.non_trainable, "flops": total.flops, "macs": total.macs,
        "layers": len(comp.graph.nodes),
    }
    shapes = [list(s) for s in comp.output_shapes]
    got["output_shape"] = shapes[0] if len(shapes) == 1 else shapes
    diags = Collector()
    for key in type(exp).model_fields:
        want = getattr(exp, key)
        if want is None:
            continue
        have = got[key]
        if key == "output_shape" and len(shapes) == 1 and want and isinstance(want[0], list):
            want = want[0]
        if have != want:
            if isinstance(want, int) and isinstance(have, int):
                msg = f"expect.{key}: the spec asserts {want:,} but gives {have:,} ({have - want:+,})"
            else:
                msg = f"expect.{key}: the spec asserts {want} but gives {have}"
            diags.add("E500", msg, loc.span(key), path=loc.path + (key,),
                      hint="update the expect section if the change is intended")
    if diags:
        raise CompileError(diags.items, comp.spec.sources)
