"""Every public layer class of the installed Keras is either an archc layer type or named on docs/keras-compat.md
(with what to use instead), so that a Keras upgrade that adds layers shows up here; and every alias that page
lists gets its full name as the hint of E203."""

from __future__ import annotations

import inspect
import re

import pytest

from archcompiler.layers import KNOWN_AS, REGISTRY
from helpers import ROOT

keras = pytest.importorskip("keras")

pytestmark = pytest.mark.keras

PAGE = (ROOT / "docs" / "keras-compat.md").read_text(encoding="utf-8")


def keras_layer_classes() -> list[str]:
    return sorted(name for name in dir(keras.layers) if not name.startswith("_")
                  and inspect.isclass(getattr(keras.layers, name))
                  and issubclass(getattr(keras.layers, name), keras.layers.Layer))


def test_every_keras_layer_is_in_the_registry_or_on_the_page() -> None:
    named = set(re.findall(r"`([A-Z][A-Za-z0-9]+)`", PAGE))
    # "AdaptiveAveragePooling1D/2D/3D" names three classes
    for stem in re.findall(r"`([A-Z][A-Za-z]+)1D/2D/3D`", PAGE):
        named.update(f"{stem}{r}D" for r in "123")
    missing = [n for n in keras_layer_classes() if n not in REGISTRY and n not in named]
    assert not missing, f"keras.layers classes neither in archc's registry nor on docs/keras-compat.md: {missing}"


def test_the_page_names_no_layer_archc_has_as_missing() -> None:
    section = PAGE[PAGE.index("## Layers archc does not have"):PAGE.index("## Arguments archc leaves out")]
    table_firsts = re.findall(r"^\| `([A-Z][A-Za-z0-9]+)`", section, re.M)
    assert table_firsts and not [n for n in table_firsts if n in REGISTRY]


def test_aliases_are_keras_aliases_of_registered_classes() -> None:
    for alias, hint in KNOWN_AS.items():
        if "the same class under its full name" in hint:
            full = hint.split()[0]
            assert full in REGISTRY
            assert getattr(keras.layers, alias) is getattr(keras.layers, full), alias
            assert f"`{alias}`" in PAGE
