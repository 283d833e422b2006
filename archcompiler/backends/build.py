"""``archc build``: the Keras model, the summaries and the diagram of a spec, written all or nothing.

For a stem ``S`` (default: the spec file's name without its extension) the output directory receives
``S.keras`` (the functional model, loadable with ``keras.models.load_model`` without custom objects),
``S.summary.txt`` and ``S.summary.json`` (the static summary) and, when diagrams can be rendered, ``S.svg``
(the block-level diagram).

The model is saved with :func:`~archcompiler.backends.keras.save_model`: what ``model.save`` writes, plus, for a
compiled model, the initial state of its optimizer (stored as fill values, taking no room), so that
``keras.models.load_model`` loads it without warning that the file lacks the optimizer's variables.

Every file is first written under a temporary name in the output directory; only when all of them are complete
are they renamed over their final names, with Ctrl-C held back for those few renames. Whatever goes wrong before
(a Keras error, a full disk, an interrupt), the temporary files are removed and the outputs of an earlier build
are left as they were. A failed rename rolls back the renames already done.
"""

from __future__ import annotations

import os
import signal
import sys
import threading
import uuid
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Iterator

from .files import temp_path

if TYPE_CHECKING:  # pragma: no cover
    from ..pipeline import Compilation

__all__ = ["build", "BuildResult", "default_stem"]

_SPEC_SUFFIXES = (".yaml", ".yml", ".json")


class BuildResult(list):
    """The paths written, in order (a ``list[Path]``), with ``warnings``: what was skipped and why (for example the
    diagram when Graphviz is not installed)."""

    def __init__(self, paths: list[Path] | None = None, warnings: list[str] | None = None):
        super().__init__(paths or [])
        self.warnings: list[str] = list(warnings or [])


def default_stem(comp: Compilation) -> str:
    """The spec file's name without its extension (``specs/resnet18.yaml`` -> ``resnet18``); the model's name for a
    spec that did not come from a file."""
    name = Path(comp.path or "").name
    if name.lower().endswith(_SPEC_SUFFIXES):
        return name.rsplit(".", 1)[0]
    return comp.graph.name


def _usage_error(message: str) -> Exception:
    from ..diagnostics import UsageError

    return UsageError(message)


def build(comp: Compilation, out_dir: Path, diagram: bool = True, stem: str | None = None) -> BuildResult:
    """Writes ``STEM.keras``, ``STEM.summary.txt``, ``STEM.summary.json`` and (if ``diagram`` and rendering is
    available) ``STEM.svg`` into ``out_dir``, all or nothing.

    Args:
        comp: the compiled spec.
        out_dir: the output directory (created when missing).
        diagram: render the block-level diagram. Missing Graphviz (or a missing renderer) does not fail the build:
            the diagram is skipped and the reason is in ``warnings`` of the result.
        stem: the file name stem (default: :func:`default_stem`).

    Returns:
        The written paths (a list) with a ``warnings`` attribute.

    Raises:
        CompileError: Keras rejected the model (E700); nothing was written.
        UsageError: the directory or a file cannot be written, the stem is not a plain file name, or TensorFlow is
            not installed.
    """
    stem = default_stem(comp) if stem is None else stem
    if not stem or stem in (".", "..") or "/" in stem or os.sep in stem or "\0" in stem:
        raise _usage_error(f"--stem must be a plain file name. Received: {stem!r}")
    out_dir = Path(out_dir)
    from .keras import build_model, save_model

    try:
        model = build_model(comp)
    except ImportError as e:
        raise _usage_error(str(e)) from None

    created = [d for d in (out_dir, *out_dir.parents) if not d.exists()]  # deepest first
    try:
        out_dir.mkdir(parents=True, exist_ok=True)
    except OSError as e:
        raise _usage_error(f"cannot create the output directory {out_dir}: {e.strerror or e}") from None
    warnings: list[str] = []
    staged: list[tuple[Path, Path]] = []  # (temporary, final)
    try:
        final = out_dir / f"{stem}.keras"
        tmp = _temp(out_dir, final.name, ".keras")
        staged.append((tmp, final))
        try:
            save_model(model, tmp)
        except OSError as e:
            raise _usage_error(f"cannot write {final}: {e.strerror or e}") from None
        for suffix, text in ((".summary.txt", comp.summary("text")), (".summary.json", comp.summary("json"))):
            final = out_dir / f"{stem}{suffix}"
            tmp = _temp(out_dir, final.name, ".tmp")
            staged.append((tmp, final))
            _write(tmp, final, text)
        if diagram:
            _render_diagram(comp, out_dir / f"{stem}.svg", staged, warnings)
        _commit(staged)
    except BaseException:
        for tmp, _ in staged:
            _unlink(tmp)
        for d in created:  # leave no directory made for the outputs behind either
            try:
                d.rmdir()
            except OSError:
                break
        raise
    return BuildResult([final for _, final in staged], warnings)


def _temp(out_dir: Path, name: str, suffix: str) -> Path:
    """A new empty file ``.NAME.PID.XXXX.archc-tmp<suffix>`` in ``out_dir`` (hidden, next to its final place so that
    the rename is atomic, and named so that a later run removes it if this one is killed: files.temp_path)."""
    try:
        return temp_path(out_dir / name, suffix)
    except OSError as e:
        raise _usage_error(f"cannot write in {out_dir}: {e.strerror or e}") from None


def _write(tmp: Path, final: Path, text: str) -> None:
    try:
        with open(tmp, "w", encoding="utf-8", newline="\n") as f:
            f.write(text)
    except OSError as e:
        raise _usage_error(f"cannot write {final}: {e.strerror or e}") from None


def _render_diagram(comp: Compilation, final: Path, staged: list[tuple[Path, Path]], warnings: list[str]) -> None:
    """Renders the block-level SVG to a temporary file; a missing renderer or Graphviz becomes a warning."""
    try:
        from .dot import GraphvizMissing, render_file
    except ImportError as e:
        warnings.append(f"diagram skipped: rendering is not available ({e})")
        return
    tmp = _temp(out_dir=final.parent, name=final.name, suffix=".svg")
    staged.append((tmp, final))
    try:
        written = render_file(comp, tmp, fmt="svg", level="block", depth=None, fold=False, rankdir="TB")
    except GraphvizMissing as e:  # only a missing Graphviz is a warning; any other failure fails the build
        staged.pop()
        _unlink(tmp)
        warnings.append(f"diagram skipped: {e}")
        return
    if written is not None and Path(written) != tmp:  # the renderer chose its own file name
        staged[-1] = (Path(written), final)
        _unlink(tmp)


def _commit(staged: list[tuple[Path, Path]]) -> None:
    """Renames every temporary file over its final name; on failure, puts back what was there before."""
    backups: list[tuple[Path, Path | None]] = []  # (final, hard link to its previous content or None)
    done: list[Path] = []
    mode = 0o666 & ~_umask()  # temporary files are private (0600); outputs get the usual permissions
    try:
        for tmp, _ in staged:
            os.chmod(tmp, mode)
        for _, final in staged:
            backups.append((final, _backup(final)))
        with _interrupts_held():
            for tmp, final in staged:
                os.replace(tmp, final)
                done.append(final)
    except BaseException:
        prev = dict(backups)
        for final in reversed(done):
            b = prev.get(final)
            try:
                if b is not None:
                    os.replace(b, final)
                else:
                    os.unlink(final)
            except OSError:
                pass
        if isinstance(sys.exc_info()[1], OSError):
            e = sys.exc_info()[1]
            raise _usage_error(f"cannot write in {staged[0][1].parent}: {e.strerror or e}") from None
        raise
    finally:
        for _, b in backups:
            if b is not None:
                _unlink(b)


def _umask() -> int:
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def _backup(final: Path) -> Path | None:
    """A hard link to the current ``final`` (None when there is none or links are not supported)."""
    if not final.exists():
        return None
    for _ in range(3):
        b = final.parent / f".{final.name}.{uuid.uuid4().hex[:12]}.bak"
        try:
            os.link(final, b)
            return b
        except FileExistsError:
            continue
        except OSError:
            return None
    return None


@contextmanager
def _interrupts_held() -> Iterator[None]:
    """Defers Ctrl-C (SIGINT) until the block is done; outside the main thread it does nothing."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    got: list[int] = []
    try:
        old = signal.signal(signal.SIGINT, lambda signum, frame: got.append(signum))
    except (ValueError, OSError):  # pragma: no cover (no signal support)
        yield
        return
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, old)
    if got:
        raise KeyboardInterrupt


def _unlink(p: Path) -> None:
    try:
        os.unlink(p)
    except OSError:
        pass
