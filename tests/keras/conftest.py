"""Fixtures for tests that build real Keras models: makes ``tests/kerasutil.py`` importable, quiets TensorFlow, and
``fresh_keras``, a fresh Keras session for the modules that build whole models (automatic layer names start again
from ``conv2d``; what the test built is freed after it), used by those modules' ``pytestmark``.

Every test collected here needs TensorFlow; without it they are skipped.
"""

from __future__ import annotations

import gc
import os
import sys
from pathlib import Path
from typing import Iterator

import pytest

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

_TESTS = str(Path(__file__).resolve().parents[1])
if _TESTS not in sys.path:
    sys.path.insert(0, _TESTS)

pytest.importorskip("tensorflow")


@pytest.fixture
def fresh_keras() -> Iterator[None]:
    import keras

    keras.backend.clear_session()
    yield
    keras.backend.clear_session()
    gc.collect()
