"""Backends: what a :class:`~archcompiler.pipeline.Compilation` becomes, as one table.

Each backend is a module of this package with one entry function ``f(comp, **options)``; :data:`BACKENDS` names
them, and :meth:`Compilation.emit <archcompiler.pipeline.Compilation.emit>` (with ``summary()``, ``to_dot()`` and
``to_keras()`` on top of it) runs one. A module is imported only when its backend is used, so that a backend's
dependencies (Keras for ``keras``) cost nothing to the others. A new backend is its module plus one line here.

A backend with several output formats keeps them as a table of its own module (``FORMATS``, name -> writer), which
``formats`` names; the command line takes its ``--format`` choices from there.
"""

from __future__ import annotations

from dataclasses import dataclass
from importlib import import_module
from typing import Any, Callable

__all__ = ["Backend", "BACKENDS", "backend"]


@dataclass(frozen=True)
class Backend:
    """One backend: where its entry function is, and what it makes.

    Attributes:
        name: the key of :data:`BACKENDS`.
        module: its module, below ``archcompiler.backends``.
        entry: the module's function ``f(comp, **options)`` that runs it.
        doc: what it makes, in one line.
        formats: the name of the module's table of output formats (a mapping whose keys are the format names,
            or a tuple of them), or "" for a backend with one kind of output.
    """

    name: str
    module: str
    entry: str
    doc: str
    formats: str = ""

    def _module(self) -> Any:
        return import_module(f"{__name__}.{self.module}")

    def function(self) -> Callable[..., Any]:
        """The entry function (imports the backend's module now)."""
        return getattr(self._module(), self.entry)

    def format_names(self) -> tuple[str, ...]:
        """The names of the backend's output formats, in the order of its table (imports its module now)."""
        return tuple(getattr(self._module(), self.formats)) if self.formats else ()


#: Every backend, by name.
BACKENDS: dict[str, Backend] = {b.name: b for b in (
    Backend("summary", "summary", "render", "the static summary table (no TensorFlow)", formats="FORMATS"),
    Backend("dot", "dot", "to_dot", "the architecture diagram as Graphviz DOT text", formats="FORMATS"),
    Backend("keras", "keras", "build_model", "a Keras functional model (imports TensorFlow)"),
)}


def backend(name: str) -> Backend:
    """The backend called ``name``.

    Raises:
        ValueError: there is none (the message lists those there are).
    """
    try:
        return BACKENDS[name]
    except KeyError:
        raise ValueError(f"unknown backend {name!r}; backends: {', '.join(BACKENDS)}") from None
