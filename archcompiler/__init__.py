"""archc: neural-network architectures as data.

    >>> import archcompiler
    >>> spec = archcompiler.load("specs/resnet18.yaml", overrides={"classes": 10})
    >>> spec.summary()          # static: no TensorFlow needed
    >>> model = spec.to_keras() # a keras.Model

The core (everything but ``backends.keras``) never imports TensorFlow or Keras.
"""

from __future__ import annotations

import gc as _gc
from pathlib import Path
from typing import Any

# Importing archc (pydantic, the language's models, the layer registry) creates tens of thousands of objects that
# live as long as the program: the cyclic collector is paused meanwhile, as its collections would only walk them
# again (see docs/performance.md).
_collecting = _gc.isenabled()
_gc.disable()
try:
    from .diagnostics import CompileError, Diagnostic
    from .pipeline import Compilation, compile_file, compile_text
    from .stats import Ceilings
finally:
    if _collecting:
        _gc.enable()

__version__ = "0.1.0"
__all__ = ["load", "compile_text", "Ceilings", "Compilation", "CompileError", "Diagnostic", "__version__"]


def load(path: str | Path, overrides: dict[str, Any] | None = None, ceilings: Ceilings | None = None) -> Compilation:
    """Loads, validates and compiles a spec file.

    Args:
        path: a ``.yaml``, ``.yml`` or ``.json`` spec.
        overrides: values for the spec's top-level parameters (as ``--set`` does).
        ceilings: the most parameters, and values per layer output, the spec may have (``--max-params`` and
            ``--max-activations``); defaults far above any published network.

    Raises:
        CompileError: with every problem found; ``str(err)`` is a one-line digest, ``err.render()`` the full text.
    """
    return compile_file(path, overrides, ceilings)
