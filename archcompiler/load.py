"""Resolving spec files: read, parse, check against the pydantic models (their errors become diagnostics in
validation.py), resolve ``extends`` and ``imports``.

The result (:func:`resolve_file`, :func:`resolve_text`) is a :class:`ResolvedSpec`: every parameter, block and the
model, each with the document it was written in, so that later stages can point at the right file, line and column.
Nothing is expanded here; :mod:`archcompiler.pipeline` runs the stages that compile it.
"""

from __future__ import annotations

import os
import stat
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pydantic

from .diagnostics import CompileError, Diagnostic, did_you_mean
from .entries import called_blocks
from .expressions import short_repr, type_name
from .parse import Document, parse
from .source import SourceFile, Span
from .layers import REGISTRY
from .spec import TOP_KEYS, BlockDef, Expect, ModelDef, ParamDecl, SpecFile
from .validation import pydantic_diagnostics, real_loc

#: Most spec files one compilation may read (imports and extends included).
MAX_FILES = 64
#: Largest spec file, in bytes.
MAX_FILE_BYTES = 4 * 1024 * 1024


@dataclass(frozen=True)
class Located:
    """A piece of a spec with the document and the path where it is written."""

    value: Any
    doc: Document
    path: tuple

    def span(self, *sub: Any, key: bool = False) -> Span | None:
        return self.doc.span(self.path + tuple(sub), key=key)


@dataclass
class ResolvedSpec:
    """A spec with its extends chain and imports resolved."""

    name: str
    description: str
    path: str
    params: dict[str, Located] = field(default_factory=dict)  # Located(ParamDecl)
    blocks: dict[str, Located] = field(default_factory=dict)  # Located(BlockDef)
    model: Located | None = None  # Located(ModelDef)
    expect: Located | None = None  # Located(Expect)
    training: Any = None  # a training.Training, or None
    sources: dict[str, SourceFile] = field(default_factory=dict)
    root: Document | None = None
    deferred: list[Diagnostic] = field(default_factory=list)  # errors that did not stop loading (unknown keys)

    def has_key(self, key: str) -> bool:
        """Whether the spec file's top-level mapping has ``key`` as written (unknown keys included)."""
        data = self.root.data if self.root is not None else None
        return isinstance(data, dict) and key in data

    @property
    def is_library(self) -> bool:
        """A file of blocks only: blocks, no model (none written, none inherited) and no deferred error (a
        misspelt ``model`` key makes a model that is missing, not a library)."""
        return self.model is None and bool(self.blocks) and not self.deferred and not self.has_key("model")

    def not_a_spec(self) -> Diagnostic:
        """E106 for the file, when it has no top-level ``archspec`` key (see :meth:`has_key`)."""
        from .discover import not_a_spec
        data = self.root.data if self.root is not None else None
        return not_a_spec(self.path, data, self.root.span(()) if self.root is not None else None)


def display_path(path: Path) -> str:
    """A path as users like to read it: relative to the working directory when below it."""
    try:
        return os.path.relpath(path)
    except ValueError:  # pragma: no cover (other drive on Windows)
        return str(path)


def read_source(path: str | Path, display: str | None = None, span: Span | None = None) -> SourceFile:
    """Reads a spec file, turning I/O problems into E100 diagnostics.

    Only regular files are read: a directory, a FIFO, a socket or a device (``/dev/zero``, ``/dev/stdin`` on a
    terminal) is refused before anything is read from it. The file is opened without blocking and checked on the open
    descriptor (so it cannot be swapped for something else in between), and never more than ``MAX_FILE_BYTES``
    are read.
    """
    shown = display or str(path)
    span = span or Span(shown, 1, 1, 1, 1)  # a file that cannot be read is still named in JSON and annotations

    def fail(code: str, message: str) -> CompileError:
        return CompileError([Diagnostic(code, message, span)])

    try:
        st = os.stat(path)
        if not stat.S_ISREG(st.st_mode):  # before opening: some special files cannot even be opened
            raise fail("E100", f"cannot read {shown}: {_file_kind(st.st_mode)}, not a regular file")
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0))
    except ValueError:
        raise fail("E100", f"cannot read {shown}: the path contains a NUL character") from None
    except OSError as e:
        raise fail("E100", f"cannot read {shown}: {e.strerror or e}") from None
    try:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode):
            raise fail("E100", f"cannot read {shown}: {_file_kind(st.st_mode)}, not a regular file")
        if st.st_size > MAX_FILE_BYTES:
            raise fail("E104", f"{shown} is {st.st_size} bytes; spec files are limited to {MAX_FILE_BYTES} bytes")
        chunks, size = [], 0
        while size <= MAX_FILE_BYTES:
            chunk = os.read(fd, MAX_FILE_BYTES + 1 - size)
            if not chunk:
                break
            chunks.append(chunk)
            size += len(chunk)
        if size > MAX_FILE_BYTES:  # the file grew while it was read
            raise fail("E104", f"{shown} is over {MAX_FILE_BYTES} bytes; spec files are limited to that")
        text = b"".join(chunks).decode("utf-8-sig")
    except UnicodeDecodeError as e:
        raise fail("E100", f"cannot read {shown}: not UTF-8 text ({e.reason} at byte {e.start})") from None
    except OSError as e:
        raise fail("E100", f"cannot read {shown}: {e.strerror or e}") from None
    finally:
        os.close(fd)
    return SourceFile(shown, text)


def _file_kind(mode: int) -> str:
    """Names the kind of a file that is not a regular file."""
    for test, name in ((stat.S_ISDIR, "a directory"), (stat.S_ISFIFO, "a FIFO (named pipe)"),
                       (stat.S_ISCHR, "a character device"), (stat.S_ISBLK, "a block device"),
                       (stat.S_ISSOCK, "a socket")):
        if test(mode):
            return name
    return "a special file"  # pragma: no cover


def resolve_path(path: Path, shown: str, span: Span | None = None) -> Path:
    """``path`` made absolute with symlinks resolved; a loop, a NUL character, an over-long name or something that
    is not a regular file (``/dev/stdin``, a FIFO) is E100."""
    try:
        st = os.stat(path)
        if not stat.S_ISREG(st.st_mode):
            hint = ("to read a spec from standard input, name it '-' (archc validate -)"
                    if stat.S_ISFIFO(st.st_mode) or stat.S_ISCHR(st.st_mode) else None)
            raise CompileError([Diagnostic("E100", f"cannot read {shown}: {_file_kind(st.st_mode)}, not a regular "
                                                   f"file", span or Span(shown, 1, 1, 1, 1), hint=hint)])
    except (OSError, ValueError, RuntimeError):
        pass  # said below, with the reason
    try:
        return path.resolve()
    except ValueError:
        reason = "the path contains a NUL character"
    except RuntimeError:  # Python 3.11 reports symlink loops this way
        reason = "a loop of symbolic links"
    except OSError as e:
        reason = e.strerror or str(e)
    raise CompileError([Diagnostic("E100", f"cannot read {shown}: {reason}", span or Span(shown, 1, 1, 1, 1))])


def validate_document(doc: Document, deferred: list[Diagnostic] | None = None) -> SpecFile:
    """Checks a parsed document against :class:`SpecFile`; all problems at once, each at its position. A
    ``training:`` section is checked against :class:`~archcompiler.training.Training` on its own, training.py
    imported only then (see ``spec.TrainingSection``).

    When the only problems are unknown keys and ``deferred`` is given, those keys are dropped, their diagnostics
    appended to ``deferred`` and the spec returned, so that later stages can report their own errors in the same run.
    """
    if not isinstance(doc.data, dict):
        got = "an empty file" if doc.data is None else f"{type_name(doc.data)} {short_repr(doc.data)}"
        raise CompileError([Diagnostic("E201", f"a spec file must be a mapping with a 'model' or 'blocks' section. "
                                               f"Received: {got}", doc.span(()))], {doc.source.path: doc.source})
    parts: list[tuple[Any, Any, tuple]] = [(SpecFile, doc.data, ())]  # (model, data, where it is written)
    if doc.data.get("training") is not None:
        from .training import Training
        parts.append((Training, doc.data["training"], ("training",)))
    values: list[Any] = []  # each part's model, or the ValidationError it raised
    diags: list[Diagnostic] = []
    for model, data, base in parts:
        try:
            values.append(model.model_validate(data))
        except pydantic.ValidationError as e:
            diags.extend(pydantic_diagnostics(e, doc, base, model, prefix=base))
            values.append(e)
    if diags:
        if deferred is None or any(d.code != "E200" for d in diags):
            raise CompileError(diags, {doc.source.path: doc.source})
        try:  # only unknown keys: each part validated again without them
            values = [model.model_validate(_without(data, [real_loc(err["loc"], data) for err in v.errors()]))
                      if isinstance(v, pydantic.ValidationError) else v for v, (model, data, _) in zip(values, parts)]
        except pydantic.ValidationError:  # pragma: no cover (dropping unknown keys cannot add errors)
            raise CompileError(diags, {doc.source.path: doc.source}) from None
        deferred.extend(diags)
    spec = values[0]
    return spec.model_copy(update={"training": values[1]}) if len(values) > 1 else spec


def _without(data: Any, paths: list[tuple]) -> Any:
    """A copy of ``data`` without the keys at ``paths`` (an empty path, the document itself, is kept)."""
    import copy

    data = copy.deepcopy(data)
    for path in paths:
        if not path:
            continue
        node = data
        for p in path[:-1]:
            node = node[p] if isinstance(node, (dict, list)) else None
        if isinstance(node, dict):
            node.pop(path[-1], None)
    return data


#: Longest ``extends``/``imports`` path, and longest name in it (most file systems allow 255 bytes).
MAX_REF_CHARS, MAX_NAME_BYTES = 1024, 255


def _bad_ref(ref: str) -> str | None:
    """Why ``ref`` cannot be an include path, or None when it can."""
    if "\0" in ref:
        return "it contains a NUL character"
    if len(ref) > MAX_REF_CHARS:
        return f"it is longer than {MAX_REF_CHARS} characters"
    for part in ref.replace("\\", "/").split("/"):
        if len(part.encode("utf-8", "surrogatepass")) > MAX_NAME_BYTES:
            return f"a name in it is longer than {MAX_NAME_BYTES} bytes"
    return None


class _Loader:
    """Loads a spec and everything it extends or imports, confined to the directory tree of the first spec."""

    def __init__(self, root_dir: Path):
        self.root_dir = root_dir
        self.sources: dict[str, SourceFile] = {}
        self.cache: dict[Path, tuple[Document, SpecFile]] = {}
        self.loaded = 0
        self.deferred: list[Diagnostic] = []
        self.real_of: dict[int, Path] = {}  # id(document) -> its resolved path, for relative includes

    def load_file(self, path: Path, display: str, span: Span | None) -> tuple[Document, SpecFile]:
        real = resolve_path(path, display, span)
        if real in self.cache:
            return self.cache[real]
        self.loaded += 1
        if self.loaded > MAX_FILES:
            raise CompileError([Diagnostic("E104", f"more than {MAX_FILES} spec files are involved", span)])
        source = read_source(real, display, span)
        self.sources[source.path] = source
        doc = parse(source)
        spec = validate_document(doc, self.deferred)
        self.cache[real] = (doc, spec)
        self.real_of[id(doc)] = real
        return doc, spec

    def resolve_ref(self, ref: str, doc: Document, path: tuple) -> tuple[Path, str]:
        """Resolves an ``extends``/``imports`` path relative to the including file, inside the root tree."""
        span = doc.span(path)
        if os.path.isabs(ref):
            raise CompileError([Diagnostic("E210", f"'{ref}' is an absolute path; use a path relative to "
                                                   f"{doc.source.path}", span, path=path)], self.sources)
        problem = _bad_ref(ref)
        if problem:
            raise CompileError([Diagnostic("E210", f"cannot use {short_repr(ref)} as a path: {problem}", span,
                                           path=path)], self.sources)
        try:
            target = (self.real_of[id(doc)].parent / ref).resolve()
        except (OSError, RuntimeError) as e:
            reason = "a loop of symbolic links" if isinstance(e, RuntimeError) else (e.strerror or str(e))
            raise CompileError([Diagnostic("E210", f"cannot resolve '{ref}': {reason}", span, path=path)],
                               self.sources) from None
        try:
            target.relative_to(self.root_dir)
        except ValueError:
            raise CompileError([Diagnostic("E210", f"'{ref}' resolves to {display_path(target)}, outside the spec's "
                                                   f"directory tree ({display_path(self.root_dir)})", span, path=path,
                                           hint="specs may only include files at or below the directory of the spec "
                                                "being compiled")], self.sources) from None
        try:
            found = target.is_file()
        except OSError as e:
            raise CompileError([Diagnostic("E210", f"cannot read '{ref}': {e.strerror or e}", span, path=path)],
                               self.sources) from None
        if not found:
            raise CompileError([Diagnostic("E210", f"cannot find '{ref}' (looked for {display_path(target)})", span,
                                           path=path)], self.sources)
        return target, display_path(target)

    def resolve(self, real: Path, doc: Document, spec: SpecFile, stack: tuple[Path, ...],
                via: Span | None = None) -> ResolvedSpec:
        """Resolves one file: its base (``extends``) first, then its imports, then its own definitions.
        ``via`` is where the including file names this one (for cycle errors)."""
        if real in stack:
            chain = " -> ".join(display_path(p) for p in (*stack, real))
            raise CompileError([Diagnostic("E211", f"spec files include each other in a cycle: {chain}",
                                           via or doc.span(()))], self.sources)
        stack = (*stack, real)
        out = ResolvedSpec(name=spec.name or Path(doc.source.path).stem, description=spec.description,
                           path=doc.source.path, root=doc)
        if spec.extends is not None:
            target, shown = self.resolve_ref(spec.extends, doc, ("extends",))
            bdoc, bspec = self.load_file(target, shown, doc.span(("extends",)))
            base = self.resolve(target, bdoc, bspec, stack, doc.span(("extends",)))
            out.params = dict(base.params)
            out.blocks = dict(base.blocks)
            out.model = base.model
            out.training = base.training
        for i, imp in enumerate(spec.imports):
            ipath = ("imports", i, "from")
            target, shown = self.resolve_ref(imp.from_, doc, ipath)
            idoc, ispec = self.load_file(target, shown, doc.span(ipath))
            lib = self.resolve(target, idoc, ispec, stack, doc.span(ipath))
            wanted = list(lib.blocks) if imp.blocks == "*" else imp.blocks
            for j, name in enumerate(wanted):
                if name not in lib.blocks:
                    raise CompileError([Diagnostic(
                        "E210", f"'{imp.from_}' has no block '{name}'", doc.span(("imports", i, "blocks", j)),
                        hint=did_you_mean(name, lib.blocks) or f"it defines: {', '.join(lib.blocks) or 'no blocks'}")],
                        self.sources)
            # Imported blocks may call other blocks of their file and use its parameters: bring those along
            # (local definitions take precedence; imported parameters become the spec's, settable with --set).
            for name in _with_dependencies(wanted, lib.blocks):
                blk = lib.blocks[name]
                prev = out.blocks.get(name)
                if prev is not None and prev.doc is not blk.doc and name not in spec.blocks:
                    raise CompileError([Diagnostic(
                        "E210", f"block '{name}' is imported from two files: {prev.doc.source.path} and "
                                f"{blk.doc.source.path}", doc.span(ipath),
                        hint="import only the blocks you need with blocks: [...], or define it locally")],
                        self.sources)
                out.blocks.setdefault(name, blk)
            for name, par in lib.params.items():
                out.params.setdefault(name, par)
        for name, decl in spec.params.items():
            prev = out.params.get(name)
            if prev is not None and not isinstance(decl, ParamDecl):  # pragma: no cover
                continue
            if prev is not None and "type" not in decl.model_fields_set | _explicit(doc, ("params", name)):
                # A variant overriding a default keeps the declared type and documentation.
                decl = prev.value.model_copy(update={"default": decl.default})
            out.params[name] = Located(decl, doc, ("params", name))
        for name, blk in spec.blocks.items():
            if REGISTRY.is_builtin(name):  # a block may shadow a plugin's type (plugins are not read here)
                raise CompileError([Diagnostic("E201", f"a block cannot be named '{name}': that is a layer type",
                                               doc.span(("blocks", name), key=True), path=("blocks", name))],
                                   self.sources)
            out.blocks[name] = Located(blk, doc, ("blocks", name))
        if spec.model is not None:
            out.model = Located(spec.model, doc, ("model",))
        if spec.expect is not None:
            out.expect = Located(spec.expect, doc, ("expect",))
        if spec.training is not None:
            out.training = spec.training
        return out


def _with_dependencies(names: list[str], blocks: dict[str, Located]) -> list[str]:
    """``names`` and every block they call, directly or not (in a stable order)."""
    out: list[str] = []
    todo = list(names)
    while todo:
        name = todo.pop(0)
        if name in out or name not in blocks:
            continue
        out.append(name)
        todo.extend(sorted(called_blocks(blocks[name].value.layers, blocks)))
    return out


def _explicit(doc: Document, path: tuple) -> set[str]:
    v = doc.data
    for p in path:
        v = v.get(p) if isinstance(v, dict) else None
    return {"type"} if isinstance(v, dict) and "type" in v else set()


def resolve_file(path: str | Path) -> ResolvedSpec:
    """Reads and validates the spec at ``path`` and resolves everything it extends and imports (nothing is expanded
    or compiled: :func:`archcompiler.load` does that).

    Raises:
        CompileError: every problem found, each with its position.
    """
    p = Path(path)
    real = resolve_path(p, str(path))
    loader = _Loader(real.parent)

    def first() -> tuple[Document, SpecFile]:
        return loader.load_file(p, str(path), None)
    return _resolve_all(loader, real, first)


def resolve_text(text: str, name: str = "<string>", base_dir: str | Path | None = None) -> ResolvedSpec:
    """:func:`resolve_file` for a spec given as text. Relative ``extends``/``imports`` resolve against ``base_dir``
    (default: cwd)."""
    root = Path(base_dir or ".").resolve()
    loader = _Loader(root)
    fake = root / (Path(name).name if name != "<string>" else "__string__.yaml")

    def first() -> tuple[Document, SpecFile]:
        source = SourceFile(name, text)
        loader.sources[name] = source
        doc = parse(source)
        spec = validate_document(doc, loader.deferred)
        loader.cache[fake] = (doc, spec)
        loader.real_of[id(doc)] = fake
        return doc, spec
    return _resolve_all(loader, fake, first)


def _resolve_all(loader: _Loader, real: Path, first: Any) -> ResolvedSpec:
    """Loads the first document with ``first()`` and resolves everything it includes, keeping all diagnostics."""
    try:
        doc, spec = first()
        out = loader.resolve(real, doc, spec, ())
    except CompileError as e:
        raise CompileError([*loader.deferred, *e.diagnostics], {**loader.sources, **e.sources}) from None
    out.sources = loader.sources
    out.deferred = loader.deferred
    return out


__all__ = ["Located", "ResolvedSpec", "resolve_file", "resolve_text", "validate_document", "read_source",
           "BlockDef", "ModelDef", "Expect", "TOP_KEYS"]
