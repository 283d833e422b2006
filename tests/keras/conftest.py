"""Fixtures for tests that build real Keras models: makes ``tests/kerasutil.py`` importable and quiets TensorFlow.

Every test collected here needs TensorFlow; without it they are skipped.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

_TESTS = str(Path(__file__).resolve().parents[1])
if _TESTS not in sys.path:
    sys.path.insert(0, _TESTS)

pytest.importorskip("tensorflow")
