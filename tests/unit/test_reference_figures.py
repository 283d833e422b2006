"""Every bundled spec gives exactly the reference figures, statically (no TensorFlow)."""

from __future__ import annotations

from pathlib import Path

import pytest

import archcompiler
from helpers import ROOT
from specs_table import PROFILER_FLOPS, REFERENCE, VARIANTS

ALL_SPECS = sorted(str(p.relative_to(ROOT)) for p in ROOT.glob("specs/**/*.*")
                   if p.suffix in (".yaml", ".json") and "lib" not in p.parts)


def test_every_bundled_spec_has_reference_figures() -> None:
    assert sorted(REFERENCE) == ALL_SPECS


@pytest.mark.parametrize("spec", sorted(REFERENCE))
def test_static_figures(spec: str, in_root: Path) -> None:
    comp = archcompiler.load(spec)
    total, trainable, non_trainable, layers = REFERENCE[spec]
    t = comp.stats.total
    assert (t.total, t.trainable, t.non_trainable) == (total, trainable, non_trainable)
    assert comp.layer_count == layers
    data = comp.summary_data()
    assert (data["total_params"], data["trainable_params"], data["non_trainable_params"]) == \
        (total, trainable, non_trainable)


@pytest.mark.parametrize("spec", sorted(PROFILER_FLOPS))
def test_static_flops_equal_the_profiler(spec: str, in_root: Path) -> None:
    assert archcompiler.load(spec).stats.total.flops == PROFILER_FLOPS[spec]


def test_resnet_variants_extend_resnet50(in_root: Path) -> None:
    """ResNet-101 and -152 are a few lines each: the family lives in resnet50.yaml."""
    for name in ("resnet101", "resnet152"):
        text = (ROOT / "specs" / "keras_applications" / f"{name}.yaml").read_text()
        assert "extends: resnet50.yaml" in text
        assert len([ln for ln in text.splitlines() if ln.strip() and not ln.startswith("#")]) < 20


def _variant_id(spec: str, overrides: dict) -> str:
    return Path(spec).stem + "-" + ",".join(f"{k}={v}" for k, v in overrides.items())


@pytest.mark.parametrize("spec, overrides, figures", VARIANTS, ids=[_variant_id(s, o) for s, o, _ in VARIANTS])
def test_variant_figures(spec: str, overrides: dict, figures: tuple, in_root: Path) -> None:
    """The variants that are parameters of one family spec (MobileNet's alpha ...) give keras.applications' figures."""
    comp = archcompiler.load(spec, overrides=overrides)
    t = comp.stats.total
    assert (t.total, t.trainable, t.non_trainable, comp.layer_count) == figures


def test_densenet_variants_extend_densenet121(in_root: Path) -> None:
    """DenseNet-169 and -201 are a few lines each: the family lives in densenet.yaml."""
    for name in ("densenet169", "densenet201"):
        text = (ROOT / "specs" / "keras_applications" / f"{name}.yaml").read_text()
        assert "extends: densenet.yaml" in text
        assert len([ln for ln in text.splitlines() if ln.strip() and not ln.startswith("#")]) < 20


def test_overrides_change_the_network(in_root: Path) -> None:
    comp = archcompiler.load("specs/resnet18.yaml", overrides={"classes": 3})
    assert comp.output_shapes == [(3,)]
    assert comp.stats.total.total == 11186186 - 7 * 513


def test_yaml_and_json_compile_to_the_same_graph(in_root: Path) -> None:
    assert archcompiler.load("specs/happy_model.yaml").ir() == archcompiler.load("specs/happy_model.json").ir()
