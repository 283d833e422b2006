"""Rendering: the DOT text through Graphviz's ``dot`` (the ``graphviz`` Python package) to SVG, PNG or PDF bytes,
and into files (written atomically). ``fmt="dot"`` needs neither Graphviz nor the package.

(Named ``rendering`` rather than ``render`` so that ``archcompiler.backends.dot.render`` stays the function.)
"""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any, Callable, Union

from ...diagnostics import UsageError
from .emit import to_dot
from .view import Depth



class GraphvizMissing(UsageError):
    """Graphviz (the `dot` program or the `graphviz` package) is not installed: rendering is impossible here."""


def missing_dot_message(fmt: str) -> str:
    return (f"Graphviz's `dot` program is needed to render {fmt}; install it with `apt-get install graphviz` "
            f"(Debian/Ubuntu), `brew install graphviz` (macOS) or see https://graphviz.org/download/; "
            f"`-f dot` writes the DOT text without it")


def render(comp: Any, fmt: str = "svg", **options: Any) -> bytes:
    """The diagram as bytes of ``fmt`` (svg, png, pdf or dot). Other keyword arguments go to :func:`to_dot`.

    Raises:
        archcompiler.diagnostics.UsageError: Graphviz (the ``dot`` program or the ``graphviz`` package) is missing, or
            ``dot`` failed.
    """
    if fmt not in FORMATS:
        raise ValueError(f"format must be one of {', '.join(FORMATS)}. Received: {fmt!r}")
    return FORMATS[fmt](to_dot(comp, **options), fmt)


def pipe(text: str, fmt: str) -> bytes:
    """Runs Graphviz's ``dot`` on DOT ``text``; returns the rendered bytes."""
    if shutil.which("dot") is None:
        raise GraphvizMissing(missing_dot_message(fmt))
    try:
        import graphviz
    except ImportError:
        raise GraphvizMissing(f"the `graphviz` Python package is needed to render {fmt}; install it with "
                              f"`pip install 'archcompiler[render]'` (or `pip install graphviz`); `-f dot` writes "
                              f"the DOT text without it") from None
    try:
        return graphviz.Source(text, engine="dot").pipe(format=fmt, quiet=True)
    except graphviz.ExecutableNotFound:
        raise GraphvizMissing(missing_dot_message(fmt)) from None
    except graphviz.CalledProcessError as e:
        err = (e.stderr or b"").decode("utf-8", "replace").strip() if isinstance(e.stderr, bytes) else str(e.stderr)
        raise UsageError(f"Graphviz's dot failed to render {fmt}: {err or e}") from None


def render_file(comp: Any, out: Union[str, Path], fmt: str = "svg", level: str = "block", depth: Depth = None,
                fold: bool = False, rankdir: str = "TB") -> Path:
    """Renders the diagram into ``out`` (written atomically); returns the path written."""
    from ..files import write_atomic

    path = Path(out)
    data = render(comp, fmt, level=level, depth=depth, fold=fold, rankdir=rankdir)
    write_atomic(path, data)
    return path


#: The output formats: name -> how the DOT text becomes that format's bytes.
FORMATS: dict[str, Callable[[str, str], bytes]] = {
    "svg": pipe, "png": pipe, "pdf": pipe, "dot": lambda text, fmt: text.encode("utf-8"),
}
