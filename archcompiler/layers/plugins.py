"""Layer types from installed packages: the ``archcompiler.layers`` entry-point group, read on first need.

A package registers layer types by naming, in its metadata, an object that holds one :class:`~.base.LayerDef` or
a tuple (or list) of them, exactly what a built-in module of ``archcompiler/layers/`` lists::

    [project.entry-points."archcompiler.layers"]
    vit = "archc_vit_layers.archc:LAYERS"

Each definition names its Keras class as ``keras_path = "package.module:Class"``: the module is imported only by
the Keras backend when it builds a model, so the core (and the module the entry point names) never imports Keras.
A spec names only a type a package registered; nothing in a spec is a module, a path or an import.

Discovery is lazy: :func:`discover` runs once per process, the first time a name is not a built-in type (or when
``archc layers`` or ``archc schema --plugins`` lists everything), so compiling a spec that uses only built-in types
never reads the installed packages' metadata. A plugin that cannot be imported, holds something else than layer
definitions, gives a malformed definition, or names a type that is already built in or registered by another
package is left out and recorded as a :class:`PluginProblem` (error E800 naming the package), never raised.

See docs/plugins.md.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any, Callable, Iterable, Mapping

from .base import CALL_STYLES, LayerDef, LayerParams

#: The entry-point group packages register layer types in.
GROUP = "archcompiler.layers"

#: A type name a spec can write as an entry's key.
TYPE_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]{0,127}$")
#: ``keras_path``: ``module.path:ClassName``.
KERAS_PATH = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)*:[A-Za-z_][A-Za-z0-9_]*$")


@dataclass(frozen=True)
class Origin:
    """Where a plugin layer type comes from: the distribution (name and version) and its entry point."""

    package: str
    version: str
    entry_point: str  # ``name = module:attr``

    def __str__(self) -> str:
        return f"{self.package} {self.version}".strip()


@dataclass(frozen=True)
class PluginProblem:
    """A registration that was left out, and why (E800)."""

    origin: Origin
    message: str

    def diagnostic(self) -> Any:
        from ..diagnostics import Diagnostic
        return Diagnostic("E800", f"layer plugin of package {self.origin.package} (entry point "
                                  f"{self.origin.entry_point}): {self.message}",
                          hint=f"fix or uninstall {self.origin.package}; `archc layers` lists the plugins found")


@dataclass
class Plugins:
    """The outcome of discovery: the plugin layer types, where each comes from, and the registrations left out."""

    types: dict[str, LayerDef] = field(default_factory=dict)
    origins: dict[str, Origin] = field(default_factory=dict)
    problems: list[PluginProblem] = field(default_factory=list)


_found: Plugins | None = None


def discovered() -> bool:
    """Whether this process has read the installed plugins yet (the start-up tests check it has not)."""
    return _found is not None


def discover(builtin: Mapping[str, LayerDef] | None = None) -> Plugins:
    """The plugin layer types of every installed package, read once per process (see the module's docstring).

    Args:
        builtin: the built-in types (default: the registry's), which a plugin may not redefine.
    """
    global _found
    if _found is None:
        if builtin is None:
            from . import REGISTRY
            builtin = REGISTRY.builtins()
        _found = load_entry_points(_entry_points(), builtin)
    return _found


def reset() -> None:
    """Forgets what :func:`discover` found (for tests that install or fake plugins)."""
    global _found
    _found = None


def _entry_points() -> list[Any]:
    from importlib.metadata import entry_points
    return sorted(entry_points(group=GROUP), key=lambda ep: (_origin(ep).package, ep.name))


def _origin(ep: Any) -> Origin:
    dist = getattr(ep, "dist", None)
    meta = getattr(dist, "metadata", None)
    name = (meta["Name"] if meta is not None and meta["Name"] else None) or ep.value.split(":")[0].split(".")[0]
    version = getattr(dist, "version", "") or ""
    return Origin(name, version, f"{ep.name} = {ep.value}")


def load_entry_points(eps: Iterable[Any], builtin: Mapping[str, LayerDef]) -> Plugins:
    """Loads each entry point and checks what it holds; what is malformed or clashes is a problem, not an error."""
    out = Plugins()
    for ep in eps:
        origin = _origin(ep)
        try:
            value = ep.load()
        except Exception as e:  # the plugin's own import failed: reported, never raised
            out.problems.append(PluginProblem(origin, f"cannot be imported: {type(e).__name__}: {e}"))
            continue
        defs = [value] if isinstance(value, LayerDef) else list(value) if isinstance(value, (tuple, list)) else None
        if defs is None or not defs:
            out.problems.append(PluginProblem(origin, f"the entry point must name a LayerDef or a tuple of them. "
                                                      f"Received: {type(value).__name__}"))
            continue
        for defn in defs:
            problem = malformed(defn)
            if problem is None and defn.op in builtin:
                problem = f"layer type {defn.op!r} is a built-in type of archc; a plugin cannot redefine it"
            if problem is None and defn.op in out.types:
                problem = (f"layer type {defn.op!r} is registered by {out.origins[defn.op]} already "
                           f"({out.origins[defn.op].entry_point})")
            if problem is not None:
                out.problems.append(PluginProblem(origin, problem))
                continue
            out.types[defn.op] = defn
            out.origins[defn.op] = origin
    return out


def malformed(defn: Any) -> str | None:
    """What is wrong with a plugin's definition, or None: it must be a LayerDef whose every part a built-in has
    (a type name specs can write, an arguments model, callable rules, a call style, an arity) and whose Keras
    class is named as ``module:Class``."""
    if not isinstance(defn, LayerDef):
        return f"expected a LayerDef. Received: {type(defn).__name__} {defn!r}"[:300]
    op = defn.op
    if not isinstance(op, str) or not TYPE_NAME.match(op):
        return f"a layer type is a name of letters, digits and _ (not starting with a digit). Received: {op!r}"
    what = f"layer type {op!r}"
    if not (isinstance(defn.params, type) and issubclass(defn.params, LayerParams)):
        return f"{what}: params must be a subclass of archcompiler.layers.base.LayerParams. Received: {defn.params!r}"
    rules: dict[str, Callable | None] = {"infer": defn.infer, "count_params": defn.count_params,
                                         "count_flops": defn.count_flops, "count_macs": defn.count_macs}
    for name, rule in rules.items():
        if not callable(rule):
            return f"{what}: {name} must be a function. Received: {rule!r}"
    if defn.label is not None and not callable(defn.label):
        return f"{what}: label must be a function or None. Received: {defn.label!r}"
    if defn.call_style not in CALL_STYLES:
        return f"{what}: call_style must be one of {', '.join(CALL_STYLES)}. Received: {defn.call_style!r}"
    lo, hi = defn.arity if isinstance(defn.arity, tuple) and len(defn.arity) == 2 else (None, None)
    if not (isinstance(lo, int) and lo >= 1 and (hi is None or isinstance(hi, int) and hi >= lo)):
        return f"{what}: arity must be (min, max) with 1 <= min <= max, or max None. Received: {defn.arity!r}"
    if not isinstance(defn.keras_path, str) or not KERAS_PATH.match(defn.keras_path):
        return (f"{what}: keras_path must name the Keras layer class as 'package.module:Class'. "
                f"Received: {defn.keras_path!r}")
    if defn.positional is not None and defn.positional not in defn.params.model_fields:
        return f"{what}: positional names {defn.positional!r}, which is not one of its arguments"
    try:
        defn.params()  # every argument has a default, or the model is broken: either way, known now
    except Exception as e:
        if "missing" not in str(e).lower():  # required arguments are fine
            return f"{what}: its arguments model cannot be built: {type(e).__name__}: {e}"[:400]
    return None
