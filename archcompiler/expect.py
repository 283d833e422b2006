"""The last stage: a spec's ``expect:`` section checked against the figures of its compilation (E500)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .diagnostics import Collector, CompileError

if TYPE_CHECKING:  # pragma: no cover
    from .pipeline import Compilation

__all__ = ["check_expectations"]


def check_expectations(comp: Compilation) -> None:
    """Checks the spec's ``expect:`` section against the computed figures (E500 for each that differs).

    Expectations describe the spec as written: with --set overrides they are not checked.

    Raises:
        CompileError: one E500 per figure that differs, at its line in the ``expect:`` section.
    """
    loc = comp.spec.expect
    if loc is None or comp.overrides:
        return
    exp = loc.value
    total = comp.stats.total
    got: dict[str, Any] = {
        "total_params": total.total, "trainable_params": total.trainable,
        "non_trainable_params": total.non_trainable, "flops": total.flops, "macs": total.macs,
        "layers": comp.layer_count,
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
        raise CompileError(diags.items, comp.sources)
