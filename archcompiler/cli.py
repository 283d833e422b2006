"""The command line: argument parsing, output formats and exit codes. The only module that prints or exits.

Exit codes: 0 success; 1 the specs have errors (or an expectation failed); 2 usage or I/O problems (a file that
cannot be read or written, a missing tool); 101 an internal error (a bug: please report it).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
import traceback
from pathlib import Path
from typing import Any, Callable, Sequence

from . import __version__
from .diagnostics import CompileError, UsageError
from .reporters import REPORTERS, FileResult
from .stats import MAX_ACTIVATIONS, MAX_PARAMS

EXIT_OK, EXIT_FINDINGS, EXIT_USAGE, EXIT_INTERNAL = 0, 1, 2, 101

EPILOG = """exit codes: 0 ok, 1 errors in a spec, 2 usage or I/O error, 101 internal error.
docs: docs/spec-language.md (the language), docs/cli.md (every command)."""


def _isatty(stream: Any) -> bool:
    try:
        return bool(stream.isatty())
    except (AttributeError, ValueError, OSError):
        return False


def _color(stream: Any) -> bool:
    """Colour on ``stream``: NO_COLOR (any non-empty value) turns it off, FORCE_COLOR (any non-empty value) on even
    when ``stream`` is not a terminal; otherwise colour on terminals only. NO_COLOR wins when both are set."""
    if os.environ.get("NO_COLOR"):
        return False
    return bool(os.environ.get("FORCE_COLOR")) or _isatty(stream)


def _print_errors(err: CompileError) -> None:
    print(err.render(color=_color(sys.stderr)), file=sys.stderr)
    n = len(err.diagnostics)
    print(f"{n} error{'s' if n != 1 else ''}", file=sys.stderr)


def _exit_code(err: CompileError) -> int:
    return EXIT_USAGE if err.diagnostics and all(d.code == "E100" for d in err.diagnostics) else EXIT_FINDINGS


def parse_overrides(items: Sequence[str] | None) -> dict[str, Any]:
    """Parses ``--set name=value`` items; values are YAML (``10``, ``2e-5``, ``[3, 4, 6, 3]``, ``relu``)."""
    from .parse import parse
    from .source import SourceFile

    out: dict[str, Any] = {}
    for item in items or ():
        name, sep, text = item.partition("=")
        name = name.strip()
        if not sep or not name:
            raise UsageError(f"--set takes name=value. Received: {item!r}")
        try:
            value = parse(SourceFile("--set", text)).data if text.strip() else ""
        except CompileError as e:
            raise UsageError(f"--set {name}: cannot read {text!r} as a value: {e.diagnostics[0].message}") from None
        if isinstance(value, dict):
            raise UsageError(f"--set {name}: a mapping is not a parameter value. Received: {text!r}")
        out[name] = value
    return out


def _ceilings(args: argparse.Namespace) -> Any:
    from .stats import Ceilings
    return Ceilings(max_params=args.max_params, max_activations=args.max_activations)


def _compile(path: str, overrides: dict[str, Any], ceilings: Any = None) -> Any:
    from .pipeline import compile_file
    return compile_file(path, overrides, ceilings)


def _write_atomic(path: Path, data: bytes | str, mode: int | None = None) -> None:
    from .backends.files import write_atomic
    write_atomic(path, data, mode)


# ---------------------------------------------------------------------------------------------------------------
# commands
# ---------------------------------------------------------------------------------------------------------------

def _result_of(path: str, err: CompileError) -> FileResult:
    used = {d.span.file for d in err.diagnostics if d.span}
    return FileResult(path, "error", diagnostics=err.diagnostics, exit_code=_exit_code(err),
                      sources={f: src for f, src in err.sources.items() if f in used})


def _not_a_spec(path: str, diagnostic: Callable[[], Any], sources: dict[str, Any], strict: bool) -> FileResult:
    """Skipped, or (``strict``) the E106 error ``diagnostic()`` makes with its source from ``sources``."""
    if not strict:
        return FileResult(path, "skipped")
    d = diagnostic()
    return FileResult(path, "error", diagnostics=(d,), sources={d.span.file: sources[d.span.file]},
                      exit_code=EXIT_FINDINGS)


def _failed(path: str, err: CompileError, strict: bool, text: str | None = None) -> FileResult:
    """A file that did not compile: its errors if it is a spec (or named explicitly and unreadable), else E106
    (named explicitly) or skipped (found in a directory, or --specs-only). ``text``: the spec read from stdin."""
    from .discover import has_archspec_key, looks_like_broken_spec
    from .load import read_source
    from .parse import parse
    from .source import SourceFile
    try:
        doc = parse(SourceFile(path, text) if text is not None else read_source(path, path))
    except CompileError:  # unreadable, or not YAML: a spec if named, or if a line starts with archspec:
        head = None if strict else _read_head(path)
        if head is None or looks_like_broken_spec(path, head.decode("utf-8", "replace")):
            return _result_of(path, err)
        return FileResult(path, "skipped")
    if has_archspec_key(doc.data):
        return _result_of(path, err)
    from .discover import not_a_spec
    return _not_a_spec(path, lambda: not_a_spec(path, doc.data, doc.span(())), {path: doc.source}, strict)


def _read_head(path: str) -> bytes | None:
    """The first bytes of a regular file (as many as a spec may have, and one more); None for anything else."""
    from .load import MAX_FILE_BYTES
    try:
        if not os.path.isfile(path):  # never open a FIFO or a device: reading could block
            return None
        with open(path, "rb") as f:
            return f.read(MAX_FILE_BYTES + 1)
    except OSError:
        return None


def validate_one(path: str, overrides: dict[str, Any], explicit: bool = True, specs_only: bool = False,
                 ceilings: Any = None, text: str | None = None) -> FileResult:
    """Validates one file and says what it found; no output, so worker processes can run it.

    A file is a spec when its top-level mapping has the ``archspec`` key. One that is not is an E106 error when it
    was named explicitly (``explicit``) and ``specs_only`` is off; otherwise it is skipped (status "skipped").
    With ``text`` (a spec read from standard input), ``path`` is only its name in messages, and its includes
    resolve against the working directory.
    """
    from .discover import may_be_spec
    from .load import resolve_file, resolve_text
    from .pipeline import run_stages

    strict = (explicit and not specs_only) or text is not None
    if not strict:
        head = _read_head(path)  # None: resolve_file() reports why it cannot be read
        if head is not None and not may_be_spec(head):
            return FileResult(path, "skipped")
    try:
        spec = resolve_file(path) if text is None else resolve_text(text, path, base_dir=".")
        if not spec.has_key("archspec"):
            return _not_a_spec(path, spec.not_a_spec, spec.sources, strict)
        if spec.is_library:
            # a block library: nothing to expand, each block is checked on its own (for any arguments)
            from .pipeline import check_library
            check_library(spec)
            return FileResult(path, "ok", kind="library", blocks=len(spec.blocks))
        comp = run_stages(spec, overrides, ceilings)
    except CompileError as e:
        return _failed(path, e, strict, text)
    t = comp.stats.total
    return FileResult(path, "ok", kind="model", layers=comp.layer_count, params=t.total, flops=t.flops)


def _validate_chunk(tasks: list[tuple]) -> list[FileResult]:
    return [validate_one(*task) for task in tasks]


def default_jobs() -> int:
    """The number of CPUs this process may use."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except (AttributeError, OSError):  # pragma: no cover (not Linux)
        return max(1, os.cpu_count() or 1)


#: Fewest files for which a process pool pays for itself (starting workers costs a few milliseconds each).
POOL_MIN_FILES = 4
#: Fewest files for which a progress line is shown (on a terminal).
PROGRESS_MIN_FILES = 10


def _validate_all(tasks: list[tuple], jobs: int):
    """Yields each task's FileResult in task order: in this process, or from a pool of ``jobs`` processes."""
    jobs = min(jobs, len(tasks))
    if jobs <= 1 or len(tasks) < POOL_MIN_FILES:
        for task in tasks:
            yield validate_one(*task)
        return
    import multiprocessing

    from . import pipeline  # noqa: F401  (imported once here, inherited by forked workers)
    ctx = multiprocessing.get_context("fork" if sys.platform.startswith("linux") else None)
    chunk = max(1, min(16, len(tasks) // (jobs * 8)))
    import signal
    stop: list[int] = []
    # A signal must not interrupt the pool's own locking (that can hang the pool's shutdown): while the pool runs,
    # SIGTERM and Ctrl-C only set a flag, which the loop below turns into the usual exception between results.
    old = {sig: signal.signal(sig, lambda signum, frame: stop.append(signum))
           for sig in (signal.SIGTERM, signal.SIGINT)}
    try:
        with ctx.Pool(jobs, initializer=_worker_start) as pool:
            chunks = [tasks[i:i + chunk] for i in range(0, len(tasks), chunk)]
            results = pool.imap(_validate_chunk, chunks)  # an IMapIterator: its next() takes a timeout
            for _ in chunks:
                while True:
                    if stop:
                        raise _Terminated() if stop[0] == signal.SIGTERM else KeyboardInterrupt()
                    try:
                        done = results.next(timeout=0.05)
                        break
                    except multiprocessing.TimeoutError:
                        continue
                yield from done
    finally:
        for sig, handler in old.items():
            signal.signal(sig, handler)


def _worker_start() -> None:
    """A worker process ends at SIGTERM as any process does (the pool stops its workers that way), and leaves
    Ctrl-C to the main process."""
    import signal
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    signal.signal(signal.SIGINT, signal.SIG_IGN)


class _Progress:
    """A "validating N/M files" line on a terminal, redrawn in place with \\r and cleared at the end."""

    def __init__(self, total: int, stream: Any):
        self.total, self.stream = total, stream
        self.shown = 0  # length of the line on screen
        self.last = 0.0

    def update(self, done: int) -> None:
        now = time.monotonic()
        if done < self.total and now - self.last < 0.1:
            return
        self.last = now
        line = f"validating {done}/{self.total} files"
        self.stream.write("\r" + line.ljust(self.shown))
        self.stream.flush()
        self.shown = len(line)

    def clear(self) -> None:
        if self.shown:
            self.stream.write("\r" + " " * self.shown + "\r")
            self.stream.flush()
            self.shown = 0


def _emit(pieces: list[tuple[str, str]], progress: _Progress | None = None) -> None:
    if not pieces:
        return
    if progress is not None:
        progress.clear()
    for stream, text in pieces:
        target = sys.stdout if stream == "stdout" else sys.stderr
        target.write(text)
        if progress is not None:
            target.flush()


def cmd_validate(args: argparse.Namespace) -> int:
    from .discover import expand_paths
    overrides = parse_overrides(args.set)
    t0 = time.perf_counter()
    reporter = REPORTERS[args.format](color=_color(sys.stderr), quiet=args.quiet)
    ceilings = _ceilings(args)
    stdin = _read_stdin() if "-" in args.files else None
    tasks = [(args.stdin_name, overrides, True, False, ceilings, stdin) if c.path == "-" else
             (c.path, overrides, c.explicit, args.specs_only, ceilings)
             for c in expand_paths(args.files)]
    progress = _Progress(len(tasks), sys.stderr) if (len(tasks) >= PROGRESS_MIN_FILES
                                                    and _isatty(sys.stderr)) else None
    worst = EXIT_OK
    results: list[FileResult] = []
    try:
        for result in _validate_all(tasks, args.jobs or default_jobs()):
            results.append(result)
            worst = max(worst, result.exit_code)
            _emit(reporter.file(result), progress)
            if progress is not None:
                progress.update(len(results))
    finally:
        if progress is not None:
            progress.clear()
    _emit(reporter.end(results, (time.perf_counter() - t0) * 1000))
    return worst


def _read_stdin() -> str:
    """A spec given as '-': standard input, read whole (at most as much as a spec file may hold)."""
    from .load import MAX_FILE_BYTES
    if sys.stdin is None or _isatty(sys.stdin):
        raise UsageError("'-' reads a spec from standard input, but standard input is a terminal; pipe a spec in "
                         "(archc validate - < spec.yaml) or name the file")
    data = sys.stdin.buffer.read(MAX_FILE_BYTES + 1)
    if len(data) > MAX_FILE_BYTES:
        raise UsageError(f"standard input holds more than {MAX_FILE_BYTES} bytes; spec files are limited to that")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as e:
        raise UsageError(f"standard input is not UTF-8 text ({e.reason} at byte {e.start})") from None


def cmd_summary(args: argparse.Namespace) -> int:
    if args.explain and args.format != "json":
        raise UsageError("--explain adds the origin of each block instance's arguments to the JSON summary: "
                         "use it with --format json")
    comp = _compile(args.file, parse_overrides(args.set), _ceilings(args))
    depth = None if args.depth == "all" else int(args.depth)
    if args.explain:
        from .explain import block_arguments
        data = comp.summary_data()
        origins = block_arguments(comp)
        for b in data["blocks"]:
            b["arguments"] = origins.get(b["scope"], {})
        text = json.dumps(data, indent=2) + "\n"
    else:
        text = comp.summary(args.format, depth)
    if args.output:
        _write_atomic(Path(args.output), text)
    else:
        sys.stdout.write(text)
    return EXIT_OK


def cmd_explain(args: argparse.Namespace) -> int:
    from .explain import ExplainError, explain, render_text
    comp = _compile(args.file, parse_overrides(args.set), _ceilings(args))
    try:
        data = explain(comp, args.path)
    except ExplainError as e:
        raise UsageError(f"{args.file}: {e}") from None
    if args.format == "json":
        sys.stdout.write(json.dumps(data, indent=2) + "\n")
    else:
        sys.stdout.write(render_text(data, comp.sources))
    return EXIT_OK


def cmd_ir(args: argparse.Namespace) -> int:
    comp = _compile(args.file, parse_overrides(args.set), _ceilings(args))
    sys.stdout.write(comp.ir())
    return EXIT_OK


def cmd_diff(args: argparse.Namespace) -> int:
    from .diff import diff, render
    ceilings = _ceilings(args)
    sides = [(args.a, parse_overrides(args.set_a)), (args.b or args.a, parse_overrides(args.set))]
    comps, errors, sources = [], [], {}
    for path, overrides in sides:  # both specs are compiled, and the errors of both reported together
        try:
            comps.append(_compile(path, overrides, ceilings))
        except CompileError as e:
            errors += e.diagnostics
            sources.update(e.sources)
    if errors:
        err = CompileError(errors, sources)
        _print_errors(err)
        return EXIT_USAGE
    d = diff(*comps)
    text = render(d, args.format, None if args.depth == "all" else int(args.depth))
    if args.output:
        _write_atomic(Path(args.output), text)
    else:
        sys.stdout.write(text)
    return EXIT_FINDINGS if args.exit_code and d.differs else EXIT_OK


def _diff_formats() -> tuple[str, ...]:
    from .diff import FORMATS
    return tuple(FORMATS)


def cmd_fmt(args: argparse.Namespace) -> int:
    import difflib

    from .fmt import format_text, looks_like_spec
    changed = unchanged = 0
    worst = EXIT_OK
    from .discover import expand_paths
    for candidate in expand_paths(args.files):
        path, named = Path(candidate.path), candidate.explicit
        if path.suffix == ".json":
            continue  # JSON is already plain YAML 1.2: nothing to quote
        try:
            data = path.read_bytes()
            raw = data.decode("utf-8")
        except FileNotFoundError:
            raise UsageError(f"{path}: no such file") from None
        except (OSError, UnicodeDecodeError) as e:
            print(f"archc: error: cannot read {path}: {getattr(e, 'strerror', None) or e}", file=sys.stderr)
            worst = max(worst, EXIT_USAGE)
            continue
        if not looks_like_spec(raw):
            if named and not args.quiet:
                print(f"skipped {path}: not an archc spec (no top-level archspec: key)", file=sys.stderr)
            continue
        try:
            result = format_text(raw, str(path))
        except CompileError as e:
            _print_errors(e)
            worst = max(worst, EXIT_FINDINGS)
            continue
        if result.text is None:
            unchanged += 1
            continue
        changed += 1
        n = len(result.edits)
        if args.diff:
            sys.stdout.writelines(difflib.unified_diff(
                raw.splitlines(keepends=True), result.text.splitlines(keepends=True),
                f"a/{path}", f"b/{path}"))
        if args.check or args.diff:
            worst = max(worst, EXIT_FINDINGS)
            if not args.quiet:
                print(f"would reformat {path} ({n} value{'s' if n != 1 else ''} to quote)", file=sys.stderr)
            continue
        target = Path(os.path.realpath(path))
        _write_atomic(target, result.text.encode("utf-8"), mode=target.stat().st_mode & 0o7777)
        if not args.quiet:
            print(f"reformatted {path} ({n} value{'s' if n != 1 else ''} quoted)", file=sys.stderr)
    if not args.quiet:
        verb = "would be reformatted" if args.check or args.diff else "reformatted"
        print(f"{changed} file{'s' if changed != 1 else ''} {verb}, {unchanged} unchanged", file=sys.stderr)
    return worst


def cmd_schema(args: argparse.Namespace) -> int:
    from .schema import packaged_schema, repository_schema, schema_text
    text = schema_text(plugins=args.plugins)
    if args.check and args.plugins:
        raise UsageError("--check compares the committed schema, which has the built-in layer types only; "
                         "drop --plugins")
    if args.check:
        # -o FILE: that file. Otherwise the copy shipped in the package, and the repository's when run inside it.
        copies: list[Any] = [Path(args.output)] if args.output else [packaged_schema()]
        repo = None if args.output else repository_schema(Path.cwd())
        if repo is not None:
            copies.append(repo)
        stale = 0
        for path in copies:
            shown = _shown_path(path) if isinstance(path, Path) else str(path)
            try:
                current = path.read_text(encoding="utf-8")
            except OSError as e:
                raise UsageError(f"cannot read {shown}: {e.strerror}") from None
            if current != text:
                print(f"{shown} is out of date; regenerate it with: archc schema -o {shown}", file=sys.stderr)
                stale += 1
            else:
                print(f"{shown} is up to date")
        return EXIT_FINDINGS if stale else EXIT_OK
    if args.output:
        _write_atomic(Path(args.output), text)
    else:
        sys.stdout.write(text)
    return EXIT_OK


def _shown_path(path: Path) -> str:
    """``path`` relative to the working directory when it is inside it, else absolute."""
    try:
        return str(path.resolve().relative_to(Path.cwd().resolve()))
    except ValueError:
        return str(path)


def cmd_layers(args: argparse.Namespace) -> int:
    """Lists the layer types; the installed plugins' types too (text and JSON), with where each comes from. A
    plugin left out (E800) is reported on standard error and makes the exit code 1."""
    sys.stdout.write(LAYER_FORMATS[args.format]())
    problems = _plugins().problems if args.format != "markdown" else []
    if problems:
        sys.stderr.write(CompileError([p.diagnostic() for p in problems]).render(color=False) + "\n")
        return EXIT_FINDINGS
    return EXIT_OK


def _plugins() -> Any:
    from .layers.plugins import discover
    return discover()


def _layers_text() -> str:
    from .layers import REGISTRY
    found = _plugins()
    every = {**REGISTRY.builtins(), **found.types}
    w = max(len(op) for op in every)
    lines = [f"{op:<{w}}  {d.family:<14} {', '.join(d.params.model_fields)}\n" for op, d in sorted(REGISTRY.items())]
    lines += [f"{op:<{w}}  {d.family:<14} {', '.join(d.params.model_fields)}  (plugin: {found.origins[op]})\n"
              for op, d in sorted(found.types.items())]
    return "".join(lines)


def _layers_json() -> str:
    from .layers import REGISTRY
    found = _plugins()

    def entry(op: str, d: Any) -> dict:
        out = {"family": d.family, "keras_class": d.keras_name, "arity": list(d.arity),
               "positional": d.positional, "doc": d.doc,
               "params": json.loads(json.dumps(d.params.model_json_schema()))}
        if op in found.origins:
            origin = found.origins[op]
            out["plugin"] = {"package": origin.package, "version": origin.version,
                             "entry_point": origin.entry_point, "keras_path": d.keras_path}
        return out
    every = {**dict(sorted(REGISTRY.items())), **dict(sorted(found.types.items()))}
    return json.dumps({op: entry(op, d) for op, d in every.items()}, indent=2) + "\n"


def _layers_markdown() -> str:
    from .docs import layer_reference
    return layer_reference()


#: ``archc layers --format``: name -> what it prints.
LAYER_FORMATS: dict[str, Callable[[], str]] = {"text": _layers_text, "json": _layers_json,
                                               "markdown": _layers_markdown}


def cmd_build(args: argparse.Namespace) -> int:
    # The spec is checked before TensorFlow is imported: an invalid spec fails fast and writes nothing.
    comp = _compile(args.file, parse_overrides(args.set), _ceilings(args))
    # TensorFlow's start-up chatter is kept off stderr by the Keras backend (ARCHC_TF_LOG=1 lets it through).
    from .backends.build import build
    written = build(comp, Path(args.output), diagram=not args.no_diagram, stem=args.stem)
    for p in written:
        print(p)
    for w in getattr(written, "warnings", ()):
        print(f"archc: warning: {w}", file=sys.stderr)
    return EXIT_OK


def cmd_render(args: argparse.Namespace) -> int:
    from .backends.dot import render, render_file
    comp = _compile(args.file, parse_overrides(args.set), _ceilings(args))
    # None: the level's default (block 1, layer all); "all" opens every level at both levels.
    depth = args.depth if args.depth in (None, "all") else int(args.depth)
    options = dict(level=args.level, depth=depth, fold=args.fold, rankdir=args.rankdir)
    if args.output == "-":  # to standard output, e.g. archc render spec.yaml -f dot -o - | dot -Tsvg
        sys.stdout.flush()
        sys.stdout.buffer.write(render(comp, args.format, **options))
        sys.stdout.buffer.flush()
        return EXIT_OK
    # Default names: build/SPEC.FORMAT at block level, build/SPEC.layer.FORMAT at layer level (both can coexist).
    level = "" if args.level == "block" else f".{args.level}"
    out = Path(args.output) if args.output else Path("build") / f"{Path(args.file).stem}{level}.{args.format}"
    print(render_file(comp, out, fmt=args.format, **options))
    return EXIT_OK


# ---------------------------------------------------------------------------------------------------------------
# the parser
# ---------------------------------------------------------------------------------------------------------------

class _Choices:
    """The choices of an option, read from a table when argparse first needs them (to check a value or to print
    help), so that building the parser imports no backend. The option needs a ``metavar``: without one, argparse
    lists the choices as soon as the option is added."""

    def __init__(self, names: Callable[[], Sequence[str]]):
        self._names = names
        self._cache: tuple[str, ...] | None = None

    def _get(self) -> tuple[str, ...]:
        if self._cache is None:
            self._cache = tuple(self._names())
        return self._cache

    def __contains__(self, value: object) -> bool:
        return value in self._get()

    def __iter__(self) -> Any:
        return iter(self._get())


def _backend_formats(name: str) -> tuple[str, ...]:
    from .backends import BACKENDS
    return BACKENDS[name].format_names()


def _jobs(text: str) -> int:
    if text.isdigit() and int(text) >= 1:
        return int(text)
    raise argparse.ArgumentTypeError(f"expected a positive integer. Received: {text!r}")


def _count(text: str) -> int:
    """A positive integer, also written 1e13 or 10_000."""
    try:
        value = float(text.replace("_", "")) if any(c in text for c in ".eE") else int(text.replace("_", ""))
        if value == int(value) and value >= 1:
            return int(value)
    except (ValueError, OverflowError):
        pass
    raise argparse.ArgumentTypeError(f"expected a positive integer (such as 1e13). Received: {text!r}")


def _depth(text: str) -> str:
    if text == "all" or (text.isdigit() and int(text) >= 1):
        return text
    raise argparse.ArgumentTypeError(f"expected a positive integer or 'all'. Received: {text!r}")


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="archc",
        description="archc compiles neural-network architecture specs (YAML or JSON) into shapes, parameter counts, "
                    "FLOPs, Keras models and diagrams. validate, summary, diff, explain, ir, schema and "
                    "layers never import TensorFlow.",
        epilog=EPILOG, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--version", action="version", version=f"archc {__version__}")
    sub = p.add_subparsers(dest="command", metavar="COMMAND")

    def add(name: str, fn: Callable, help_: str, desc: str) -> argparse.ArgumentParser:
        sp = sub.add_parser(name, help=help_, description=desc, epilog=EPILOG,
                            formatter_class=argparse.RawDescriptionHelpFormatter)
        sp.set_defaults(func=fn)
        return sp

    def add_set(sp: argparse.ArgumentParser) -> None:
        sp.add_argument("--set", action="append", metavar="NAME=VALUE",
                        help="override a top-level spec parameter (repeatable), e.g. --set classes=10 "
                             "--set 'depths=[3, 4, 23, 3]'")
        sp.add_argument("--max-params", type=_count, default=MAX_PARAMS, metavar="N",
                        help=f"most parameters a model may have (default {MAX_PARAMS:.0e}, far above any "
                             f"published network; past it: E410)")
        sp.add_argument("--max-activations", type=_count, default=MAX_ACTIVATIONS, metavar="N",
                        help=f"most values one layer's output may hold per sample (default {MAX_ACTIVATIONS:.0e}; "
                             f"past it: E410)")

    sp = add("validate", cmd_validate, "check specs: syntax, types, shapes, names, expectations",
             "Checks every spec given: YAML/JSON syntax, the schema, expressions, block parameters, references, "
             "names, every tensor shape, and the figures asserted in each spec's expect: section. Reports all "
             "errors of every file, each as file:line:col with the source line. A spec is a file whose top-level "
             "mapping has the archspec: key; directories are searched recursively (hidden ones, node_modules and "
             "virtual environments skipped) and the files there that are not specs are skipped, while a file "
             "named explicitly that is not a spec is an error (E106) unless --specs-only.")
    sp.add_argument("files", nargs="+", metavar="PATH",
                    help="spec files, or directories to search for .yaml, .yml and .json specs; '-' reads one spec "
                         "from standard input")
    sp.add_argument("--stdin-name", default="<stdin>", metavar="NAME",
                    help="the name of the spec read from standard input, in messages (default <stdin>); its "
                         "extends and imports resolve against the working directory, and a name ending in .json "
                         "reads it as JSON")
    sp.add_argument("--format", choices=tuple(REPORTERS), default="text",
                    help="; ".join(r.help for r in REPORTERS.values()))
    sp.add_argument("--specs-only", action="store_true",
                    help="skip the files named that are not specs (no top-level archspec: key) instead of "
                         "reporting them (E106): for pre-commit and `git ls-files`")
    sp.add_argument("-j", "--jobs", type=_jobs, default=None, metavar="N",
                    help="check files in N worker processes (default: the number of CPUs); output is the same")
    sp.add_argument("-q", "--quiet", action="store_true", help="print errors only")
    add_set(sp)

    sp = add("summary", cmd_summary, "a block-aware table of layers, shapes, parameters and FLOPs",
             "Prints the static summary of a spec: like Keras's model.summary(), with block instances as rows "
             "(opened to --depth levels), parameter counts (total / trainable / non-trainable) and FLOPs. "
             "The JSON form carries every layer and every block instance.")
    sp.add_argument("file", metavar="SPEC")
    sp.add_argument("--format", choices=_Choices(lambda: _backend_formats("summary")), default="text",
                    metavar="FORMAT", help="%(choices)s (default: %(default)s)")
    sp.add_argument("--depth", type=_depth, default="1",
                    help="block levels to open: 1 (default) shows top-level blocks as single rows; 'all' shows "
                         "every layer")
    sp.add_argument("-o", "--output", help="write to this file instead of standard output")
    sp.add_argument("--explain", action="store_true",
                    help="with --format json: each block instance's arguments with where their values came from "
                         "(the call, a default, a loop, --set), each at file:line:col")
    add_set(sp)

    sp = add("explain", cmd_explain, "where a layer's argument got its value: spec line, blocks, loops, --set",
             "Explains a layer (by name) or one of its arguments (LAYER.ARG): where its entry is written, the block "
             "instances it sits in (each call at file:line:col), and for an argument its final value, the "
             "expression written at the entry and, for each variable that expression reads, where that variable "
             "got its value: a block parameter given at the call or its default, a loop variable, a top-level "
             "parameter's default (in the extends file when inherited), a --set override; an argument not "
             "written is Keras's default. A block instance (its name or scope a/b) and INSTANCE.PARAM work too. "
             "Never imports TensorFlow.")
    sp.add_argument("file", metavar="SPEC")
    sp.add_argument("path", metavar="PATH", help="LAYER, LAYER.ARG, INSTANCE or INSTANCE.PARAM "
                                                 "(e.g. res2a_branch2a.filters)")
    sp.add_argument("--format", choices=("text", "json"), default="text", help="text (default) or json")
    add_set(sp)

    sp = add("diff", cmd_diff, "compare two specs: parameters, FLOPs, shapes, blocks and layers",
             "Compares spec A with spec B (or A with itself under --set overrides): the change in parameters, "
             "FLOPs, MACs and output shapes in total and per block instance, and the layers added, removed and "
             "changed, with each changed argument. Layers and instances named in the spec match by name, those "
             "with Keras's automatic names by place (a shifted automatic name is no change). Exit 0, or with "
             "--exit-code 1 when they differ, like diff; 2 when a spec does not compile (the errors of both). "
             "Never imports TensorFlow.")
    sp.epilog = ("exit codes (like diff): 0 ok (with --exit-code: no differences), 1 with --exit-code: the specs "
                 "differ, 2 a spec does not compile, or a usage or I/O error, 101 internal error.\n"
                 "docs: docs/cli.md#archc-diff (every key of the JSON form).")
    sp.add_argument("a", metavar="A", help="the spec before")
    sp.add_argument("b", metavar="B", nargs="?", help="the spec after (default: A again, with the --set overrides)")
    sp.add_argument("--format", choices=_Choices(_diff_formats), default="text", metavar="FORMAT",
                    help="%(choices)s (default: %(default)s); markdown for a pull-request comment")
    sp.add_argument("--depth", type=_depth, default="1",
                    help="block levels shown: 1 (default) the top-level block instances; 'all' every one "
                         "(JSON always has all)")
    sp.add_argument("-o", "--output", help="write to this file instead of standard output")
    sp.add_argument("--exit-code", action="store_true", help="exit 1 when the specs differ, 0 when they do not")
    sp.add_argument("--set-a", action="append", metavar="NAME=VALUE",
                    help="override a top-level parameter of A (repeatable); --set overrides B's")
    add_set(sp)

    sp = add("ir", cmd_ir, "print the expanded graph (one line per layer)",
             "Prints the intermediate representation: every layer after expansion with its resolved arguments, "
             "inputs, output shape and block scope, in a stable text form.")
    sp.add_argument("file", metavar="SPEC")
    add_set(sp)

    sp = add("fmt", cmd_fmt, "quote the ${...} expressions that YAML cannot read unquoted",
             "Rewrites specs in place so that they are plain YAML 1.2, read the same way by archc and every other "
             "YAML tool: an expression inside a flow mapping or list ({filters: ${4 * f}}) becomes a quoted "
             "string ({filters: \"${4 * f}\"}), which means the same to archc. Only the needed quotes change; "
             "comments, order, layout and line ends are kept, and a second run changes nothing. Directories are "
             "searched for .yaml/.yml files; files without a top-level archspec: key are not specs and are left "
             "alone. Exit 0 when done; with --check or --diff, exit 1 when a file would change.")
    sp.add_argument("files", nargs="+", metavar="PATH", help="spec files or directories")
    sp.add_argument("--check", action="store_true", help="change nothing; exit 1 if a file would be reformatted")
    sp.add_argument("--diff", action="store_true", help="change nothing; print the changes as a unified diff")
    sp.add_argument("-q", "--quiet", action="store_true", help="print errors only")

    sp = add("schema", cmd_schema, "print or write the JSON Schema of the spec language",
             "Generates the JSON Schema (draft 2020-12) of spec files from the language's models and the layer "
             "registry; editors use it for completion and checking.")
    sp.add_argument("-o", "--output", help="write to this file (default: standard output)")
    sp.add_argument("--check", action="store_true",
                    help="exit 1 if the file (-o) is not up to date; without -o, checks the copy shipped in the "
                         "package and, inside the archc repository, schema/archspec.schema.json")
    sp.add_argument("--plugins", action="store_true",
                    help="include the layer types of the installed plugins (for editors checking specs that use "
                         "them); the committed copies have the built-in types only")

    sp = add("layers", cmd_layers, "list the layer types archc knows",
             "Lists every layer type of the registry with its family and arguments, and those of the installed "
             "layer plugins with the package each comes from (text and json; markdown is the built-in reference). "
             "Exit code 1 when a plugin cannot be used (E800, on standard error).")
    sp.add_argument("--format", choices=tuple(LAYER_FORMATS), default="text")

    sp = add("build", cmd_build, "build the Keras model (.keras), summaries and the diagram",
             "Compiles a spec and writes NAME.keras (a Keras functional model, loadable with "
             "keras.models.load_model without custom objects), NAME.summary.txt, NAME.summary.json and the "
             "block-level diagram NAME.svg into the output directory. Files are written atomically: on any error "
             "nothing is left half-written and earlier outputs are untouched. Imports TensorFlow.")
    sp.add_argument("file", metavar="SPEC")
    sp.add_argument("-o", "--output", default="build", help="output directory (default: build/)")
    sp.add_argument("--stem", help="file name stem for the outputs (default: the spec file's stem)")
    sp.add_argument("--no-diagram", action="store_true", help="do not render the diagram")
    add_set(sp)

    sp = add("render", cmd_render, "draw the architecture (block or layer level) with Graphviz",
             "Draws the network with its block structure: by default one node per block instance, labelled with "
             "its block, output shape and parameters; --level layer draws every layer with blocks as clusters.")
    sp.add_argument("file", metavar="SPEC")
    sp.add_argument("-o", "--output", help="output file (default: build/SPEC.FORMAT, with --level layer "
                                           "build/SPEC.layer.FORMAT); '-' writes to standard output")
    sp.add_argument("-f", "--format", choices=_Choices(lambda: _backend_formats("dot")), default="svg",
                    metavar="FORMAT", help="%(choices)s (default: %(default)s)")
    sp.add_argument("--level", choices=("block", "layer"), default="block")
    sp.add_argument("--depth", type=_depth, default=None,
                    help="block levels to open (block level default 1; layer level default all)")
    sp.add_argument("--fold", action="store_true", help="fold consecutive instances of the same block into one "
                                                         "'xN' node")
    sp.add_argument("--rankdir", choices=("TB", "LR"), default="TB", help="layout direction")
    add_set(sp)
    return p


class _PipeGuard:
    """Wraps sys.stdout or sys.stderr for one run. When the reader goes away (a broken pipe, as in
    ``archc validate ... | head -1``), the rest of the output is discarded (the file descriptor now points at
    /dev/null, so nothing fails at exit either) and the run goes on, so that its exit code is still the real one."""

    def __init__(self, stream: Any, owner: "_PipeGuard | None" = None):
        self._stream = stream
        self._owner = owner
        self._broken = False

    @property
    def broken(self) -> bool:
        return self._owner.broken if self._owner is not None else self._broken

    def _break(self) -> None:
        if self._owner is not None:
            self._owner._break()
            return
        self._broken = True
        try:
            fd = self._stream.fileno()
            null = os.open(os.devnull, os.O_WRONLY)
            os.dup2(null, fd)
            os.close(null)
        except (AttributeError, ValueError, OSError):
            pass

    def write(self, data: Any) -> int:
        if self.broken:
            return len(data)
        try:
            return self._stream.write(data)
        except BrokenPipeError:
            self._break()
            return len(data)
        except OSError as e:  # a full disk (> /dev/full), an I/O error: the output is lost, so the run failed
            raise UsageError(f"cannot write to {self._what()}: {e.strerror or e}") from None

    def _what(self) -> str:
        stream = self._owner._stream if self._owner is not None else self._stream
        return "standard error" if stream is sys.__stderr__ else "standard output"

    def writelines(self, lines: Any) -> None:
        for line in lines:
            self.write(line)

    def flush(self) -> None:
        try:
            self._stream.flush()
        except BrokenPipeError:
            self._break()
            try:
                self._stream.flush()  # the pending bytes now go to /dev/null
            except (BrokenPipeError, OSError, ValueError):
                pass
        except OSError as e:
            raise UsageError(f"cannot write to {self._what()}: {e.strerror or e}") from None

    @property
    def buffer(self) -> "_PipeGuard":
        return _PipeGuard(self._stream.buffer, owner=self)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._stream, name)


def main(argv: Sequence[str] | None = None) -> int:
    """Runs archc; returns the exit code (the console script exits with it).

    A closed standard output (``| head``) never changes the exit code: the output is dropped and the run finishes.
    """
    saved = sys.stdout, sys.stderr
    sys.stdout, sys.stderr = _PipeGuard(saved[0]), _PipeGuard(saved[1])
    restore = _on_sigterm()
    try:
        code = _run(argv)
        try:
            sys.stdout.flush()  # output still buffered can fail now (a full disk): the run then fails too
        except UsageError as e:
            _say(f"archc: error: {e}")
            code = max(code, EXIT_USAGE)
        return code
    finally:
        restore()
        for stream in (sys.stdout, sys.stderr):
            try:
                stream.flush()
            except (UsageError, OSError, ValueError):
                pass
        sys.stdout, sys.stderr = saved


class _Terminated(BaseException):
    """SIGTERM, turned into an exception so that every ``finally`` runs (temporary files are removed)."""


def _on_sigterm() -> Callable[[], None]:
    """Makes SIGTERM end the run like Ctrl-C does (cleanly, exit 143); returns what restores the old handler."""
    import signal
    import threading
    if threading.current_thread() is not threading.main_thread():
        return lambda: None
    def handler(signum: int, frame: Any) -> None:
        raise _Terminated()
    try:
        old = signal.signal(signal.SIGTERM, handler)
    except (ValueError, OSError):  # pragma: no cover
        return lambda: None
    return lambda: signal.signal(signal.SIGTERM, old)


def _say(text: str) -> None:
    """A last message on standard error, which may itself be gone."""
    try:
        print(text, file=sys.stderr)
    except (UsageError, OSError, ValueError):
        pass


def _run(argv: Sequence[str] | None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "command", None):
        parser.print_help()
        return EXIT_USAGE
    try:
        return args.func(args)
    except CompileError as e:
        _print_errors(e)
        return _exit_code(e)
    except UsageError as e:
        print(f"archc: error: {e}", file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt:
        _say("archc: interrupted")
        return 130
    except _Terminated:
        _say("archc: terminated")
        return 143
    except BrokenPipeError:  # a write past the guards (not through sys.stdout): the run was cut short
        return EXIT_USAGE
    except Exception as e:  # a bug: say so, with what is needed to report it
        print(f"archc: internal error: {type(e).__name__}: {e}\n"
              "This is a bug in archc, not in your spec. Please report it with the spec and this trace:",
              file=sys.stderr)
        traceback.print_exc()
        return EXIT_INTERNAL


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
