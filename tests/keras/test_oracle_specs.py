"""Keras and TensorFlow's profiler as the oracle for every spec under ``specs/``.

Each spec file found under ``specs/`` (a glob: new specs are covered without editing this file; files of blocks
only, without a ``model:``, are skipped) is built with the Keras backend, and the built model must agree with the
static figures archc computed without TensorFlow:

* parameters: ``count_params()``, trainable and non-trainable, and the number of layers (``len(model.layers)``,
  inputs included) equal the static counts, and, for the specs of the reference table below, the published
  figures of the networks they reproduce;
* shapes: every Keras layer's output shape is ``(None, *static_shape)``;
* arguments: every argument of every layer reaches Keras (the layer's ``get_config()`` holds the spec's value);
* FLOPs: TensorFlow's profiler (``kerasutil.profiler_flops``, frozen inference graph, batch of one) reports exactly
  the static FLOPs.

FLOP tolerance: zero. The counting rules were written to reproduce the profiler, quirks included, and each layer
type is checked against it on its own in ``test_layer_oracle.py``; on every spec here the two figures are equal to
the FLOP. The documented deviations are the work the profiler cannot see: a grouped convolution (``groups > 1``),
whose XLA kernel it cannot see into (it reports 0 for that layer), the 3D window pools and the kernel of a 3D
transposed convolution, for which it has no rule (``kerasutil.profiler_unseen_flops``): the expected profiler figure
is the static total minus those FLOPs, still compared exactly (``specs/cnn3d.yaml`` has MaxPooling3D layers).
Two more things the profiler cannot count are made visible to it instead: recurrent layers run their steps in a ``while`` loop whose body it counts once at
most, so a spec with one is profiled as a copy with ``unroll=True`` (the same computation, every step a plain
operation); MultiHeadAttention's two attention products are ``Einsum`` operations it has no rule for, whose FLOPs
are added from the graph's shapes (``kerasutil.einsum_flops``).

Profiling cost (2-core machine, build + freeze + profile): under 1 s for the small networks, ~2.5 s for the
ResNet-50s, 5 s for ResNet-101, 7 s for ResNet-152, 13-15 s for VGG16 and VGG19; with the two cores shared by other
work, 9 s for MobileNet, 13 s for MobileNetV2 and 32, 50 and 68 s for DenseNet-121, -169 and -201 (whose 600 and 700
layers are the cost), 30-40 s for InceptionV3 and Xception, and for NASNetMobile (771 layers) and NASNetLarge (1041
layers, 89 million parameters) one and three minutes, their builds alone 30 and 60 s, and 70 and 10 s for BERT-base
(109 million parameters) and BERT-mini (BERT-tiny: 4 s): those checks are marked slow
(``SLOW_PROFILES``, ``SLOW_BUILDS``; DenseNet-121 stays in the default run). Every spec is profiled, except
that a spec expanding to exactly the IR of another (``happy_model.json`` and ``.yaml``; ``lib/vgg.yaml`` and
``vgg16.yaml``, whose defaults are VGG16's) is profiled once. The VGG graphs are frozen with their 138-144 million
weights as constants, which takes about 7 GB of memory per model, so profiles of models over 100 million
parameters take a file lock and never run side by side under ``pytest -n``.
"""

from __future__ import annotations

import contextlib
import fcntl
import gc
import math
import os
import tempfile
from pathlib import Path
from typing import Any, Iterator

import pytest

from archcompiler.diagnostics import CompileError
from archcompiler.layers import REGISTRY
from archcompiler.load import resolve_file
from archcompiler.pipeline import Compilation, compile_file, compile_text

kerasutil = pytest.importorskip("kerasutil")
keras = kerasutil.keras

pytestmark = [pytest.mark.keras, pytest.mark.usefixtures("fresh_keras")]

SPECS = Path(__file__).resolve().parents[2] / "specs"

#: The figures of the networks the reference specs reproduce (keras.applications' and the tutorials' models):
#: total, trainable and non-trainable parameters, and the number of layers as ``len(model.layers)`` counts them.
REFERENCE: dict[str, tuple[int, int, int, int]] = {
    "happy_model": (37_633, 37_569, 64, 8),
    "resnet50_signs": (23_600_006, 23_546_886, 53_120, 177),
    "resnet18": (11_186_186, 11_178_378, 7_808, 66),
    "resnet34": (21_305_482, 21_290_250, 15_232, 122),
    "preact_resnet_cifar": (2_164_950, 2_151_376, 13_574, 142),
    "vgg16": (138_357_544, 138_357_544, 0, 23),
    "vgg19": (143_667_240, 143_667_240, 0, 26),
    "squeezenet": (1_235_496, 1_235_496, 0, 67),
    "linear_regression": (2, 2, 0, 2),
    "se_resnet": (182_034, 180_914, 1_120, 82),
    "keras_applications/resnet50": (25_636_712, 25_583_592, 53_120, 177),
    "keras_applications/resnet101": (44_707_176, 44_601_832, 105_344, 347),
    "keras_applications/resnet152": (60_419_944, 60_268_520, 151_424, 517),
    "keras_applications/resnet50v2": (25_613_800, 25_568_360, 45_440, 192),
    "keras_applications/densenet": (8_062_504, 7_978_856, 83_648, 429),
    "keras_applications/densenet169": (14_307_880, 14_149_480, 158_400, 597),
    "keras_applications/densenet201": (20_242_984, 20_013_928, 229_056, 709),
    "keras_applications/mobilenet": (4_253_864, 4_231_976, 21_888, 91),
    "keras_applications/mobilenetv2": (3_538_984, 3_504_872, 34_112, 156),
    "keras_applications/inception_v3": (23_851_784, 23_817_352, 34_432, 313),
    "keras_applications/xception": (22_910_480, 22_855_952, 54_528, 134),
    "keras_applications/nasnet": (5_326_716, 5_289_978, 36_738, 771),
    "keras_applications/nasnet_large": (88_949_818, 88_753_150, 196_668, 1041),
    "keras_applications/efficientnet": (5_330_571, 5_288_548, 42_023, 240),
    "keras_applications/efficientnetb1": (7_856_239, 7_794_184, 62_055, 342),
    "keras_applications/efficientnetb2": (9_177_569, 9_109_994, 67_575, 342),
    "keras_applications/efficientnetb3": (12_320_535, 12_233_232, 87_303, 387),
    "keras_applications/efficientnetb4": (19_466_823, 19_341_616, 125_207, 477),
    "keras_applications/efficientnetb5": (30_562_527, 30_389_784, 172_743, 579),
    "keras_applications/efficientnetb6": (43_265_143, 43_040_704, 224_439, 669),
    "keras_applications/efficientnetb7": (66_658_687, 66_347_960, 310_727, 816),
    "keras_applications/efficientnetv2": (7_200_312, 7_139_704, 60_608, 273),
    "keras_applications/efficientnetv2b1": (8_212_124, 8_141_052, 71_072, 337),
    "keras_applications/efficientnetv2b2": (10_178_374, 10_096_086, 82_288, 352),
    "keras_applications/efficientnetv2b3": (14_467_622, 14_358_406, 109_216, 412),
    "keras_applications/efficientnetv2s": (21_612_360, 21_458_488, 153_872, 516),
    "keras_applications/efficientnetv2m": (54_431_388, 54_139_356, 292_032, 743),
    "keras_applications/efficientnetv2l": (119_027_848, 118_515_272, 512_576, 1031),
    "keras_applications/inception_resnet_v2": (55_873_736, 55_813_192, 60_544, 782),
    "keras_applications/mobilenetv3": (2_554_968, 2_542_856, 12_112, 164),
    "keras_applications/mobilenetv3large": (5_507_432, 5_483_032, 24_400, 194),
    "keras_applications/convnext": (28_589_128, 28_589_128, 0, 135),
    "keras_applications/convnext_small": (50_223_688, 50_223_688, 0, 261),
    "keras_applications/convnext_base": (88_591_464, 88_591_464, 0, 261),
    "keras_applications/convnext_large": (197_767_336, 197_767_336, 0, 261),
    "keras_applications/convnext_xlarge": (350_196_968, 350_196_968, 0, 261),
    "transformers/bert": (109_482_240, 109_482_240, 0, 122),
    "transformers/bert_tiny": (4_385_920, 4_385_920, 0, 32),
    "transformers/bert_mini": (11_170_560, 11_170_560, 0, 50),
    "transformers/vit": (86_567_656, 86_567_656, 0, 131),
    "transformers/vit_small": (22_050_664, 22_050_664, 0, 131),
    "transformers/vit_tiny": (5_717_416, 5_717_416, 0, 131),
}

#: FLOPs TensorFlow's profiler reports for the keras.applications models these specs reproduce (batch of one).
PROFILER_KNOWN: dict[str, int] = {
    "keras_applications/resnet50": 7_755_299_312,
    "vgg16": 30_960_211_824,
    "keras_applications/inception_v3": 11_468_989_680,
    "keras_applications/xception": 16_773_724_144,
    "keras_applications/nasnet": 1_147_877_052,
    "keras_applications/nasnet_large": 47_801_959_902,
    "keras_applications/convnext": 8_758_581_959,
}

#: Profiles of models larger than this (parameters) hold a lock so that two never run at once.
HEAVY_PARAMS = 100_000_000


def spec_files() -> list[Path]:
    """Every spec under specs/ that defines a model."""
    found = sorted(p for ext in ("yaml", "yml", "json") for p in SPECS.rglob(f"*.{ext}"))
    return [p for p in found if _has_model(p)]


def _has_model(path: Path) -> bool:
    try:
        return resolve_file(path).model is not None
    except CompileError:  # kept, so that the tests below fail on it with the spec's errors
        return True


def key(path: Path) -> str:
    """``specs/keras_applications/resnet50.yaml`` -> ``keras_applications/resnet50``."""
    return path.relative_to(SPECS).with_suffix("").as_posix()


#: Specs whose checks take more than about ten seconds, marked slow: those profiled (build + freeze + profile)
#: and those also built (build alone): the 600- to 1,000-layer graphs and EfficientNet-B1 to B7 and
#: EfficientNetV2-B1 to L at their 240x240 to 600x600 inputs. The smallest of each family (DenseNet-121,
#: EfficientNet-B0, EfficientNetV2-B0) stays in the default run.
_LARGE = {"keras_applications/densenet169", "keras_applications/densenet201", "keras_applications/inception_resnet_v2",
          *(f"keras_applications/efficientnetb{i}" for i in range(1, 8)),
          *(f"keras_applications/efficientnetv2{v}" for v in ("b1", "b2", "b3", "s", "m", "l")),
          *(f"keras_applications/convnext_{v}" for v in ("small", "base", "large", "xlarge"))}
SLOW_PROFILES = {"keras_applications/inception_v3", "keras_applications/xception", "keras_applications/nasnet",
                 "keras_applications/nasnet_large", "keras_applications/convnext",
                 "transformers/bert", "transformers/bert_mini",
                 "transformers/vit", "transformers/vit_small", "transformers/vit_tiny", *_LARGE}
SLOW_BUILDS = {"keras_applications/nasnet", "keras_applications/nasnet_large", *_LARGE}


def spec_params(slow: set[str]) -> list[Any]:
    return [pytest.param(p, id=p.relative_to(SPECS).as_posix(), marks=[pytest.mark.slow] if key(p) in slow else [])
            for p in spec_files()]


SPEC_PARAMS = spec_params(SLOW_BUILDS)



def test_the_reference_specs_are_all_found() -> None:
    found = {key(p) for p in spec_files()}
    assert set(REFERENCE) <= found, set(REFERENCE) - found


@pytest.mark.parametrize("path", SPEC_PARAMS)
def test_built_model_agrees_with_the_spec(path: Path) -> None:
    comp = compile_file(path)
    model = comp.to_keras(compile=False)
    total = comp.stats.total

    trainable, non_trainable = kerasutil.split_params(model)
    built = (model.count_params(), trainable, non_trainable, len(model.layers))
    static = (total.total, total.trainable, total.non_trainable, comp.layer_count)
    assert built == static
    if key(path) in REFERENCE:
        assert built == REFERENCE[key(path)]
    expect = comp.spec.expect.value if comp.spec.expect is not None else None
    if expect is not None and expect.total_params is not None:  # the figure docs/zoo.md shows as Keras's
        assert model.count_params() == expect.total_params

    assert model.name == comp.graph.name
    layer_nodes = [n for n in comp.graph.nodes if REGISTRY[n.op].is_layer]
    assert sorted(layer.name for layer in model.layers) == sorted(n.name for n in layer_nodes)
    # tensor arithmetic (AddConstant, MultiplyConstant) is in the graph as operations that are not layers
    arithmetic = [op for op in model.operations if not isinstance(op, keras.layers.Layer)]
    assert len(arithmetic) == len(comp.graph.nodes) - len(layer_nodes)
    for layer in model.layers:
        node = comp.graph.node(layer.name)
        assert type(layer).__name__ == REGISTRY[node.op].keras_name
        outputs = layer.output if node.outputs else [layer.output]  # a layer with several: each of them
        assert [tuple(o.shape) for o in outputs] == [(None, *comp.types[t].shape) for t in node.tensors], layer.name
        assert layer.trainable == node.trainable
    assert [tuple(o.shape) for o in model.outputs] == [(None, *s) for s in comp.output_shapes]
    check_arguments(comp, model)


# ---------------------------------------------------------------------------------------------------------------
# every argument reaches Keras
# ---------------------------------------------------------------------------------------------------------------

def _norm(value: Any) -> Any:
    """Comparable form of a plain argument: lists as tuples, names without case and underscores."""
    if isinstance(value, (list, tuple)):
        return tuple(_norm(v) for v in value)
    if isinstance(value, str):
        return value.lower().replace("_", "")
    return value


#: Activation names Keras serializes as another name of the same function (``keras.activations.get``).
ACTIVATION_ALIASES = {"hard_swish": "hard_silu", "swish": "silu"}


def _same(ours: Any, theirs: Any, name: str) -> bool:
    """Whether Keras's config value ``theirs`` is the spec's ``ours`` (as ``to_config()`` gives it)."""
    if "initializer" in name or "regularizer" in name:
        if ours is None or theirs is None:
            return ours is None and theirs is None
        ours = {"class_name": ours, "config": {}} if isinstance(ours, str) else ours
        cfg = theirs.get("config") or {}
        # the same class, and every argument the spec set is in Keras's config with its value
        return (_norm(ours["class_name"]) == _norm(theirs["class_name"])
                and all(k in cfg and _close(v, cfg[k]) for k, v in ours["config"].items()))
    if name == "activation" and ours is None:
        ours = "linear"
    if name == "activation" and ours in ACTIVATION_ALIASES:  # Keras keeps the function's own name
        ours = ACTIVATION_ALIASES[ours]
    if name == "axis" and isinstance(ours, int) and isinstance(theirs, (list, tuple)) and len(theirs) == 1:
        theirs = theirs[0]
    if name == "axis" and ours is None and theirs in ((), []):  # Normalization keeps "all axes" as no kept axes
        return True
    if name == "data_format" and ours is None:
        return theirs in (None, "channels_last")
    return _close(_norm(ours), _norm(theirs))


def _close(a: Any, b: Any) -> bool:
    if isinstance(a, tuple) and isinstance(b, tuple):
        return len(a) == len(b) and all(_close(x, y) for x, y in zip(a, b))
    if isinstance(a, float) or isinstance(b, float):
        return isinstance(a, (int, float)) and isinstance(b, (int, float)) and math.isclose(a, b, rel_tol=1e-6)
    return a == b


def check_arguments(comp: Compilation, model: Any) -> None:
    """Every argument of every layer, as the spec resolved it, is in the Keras layer's config."""
    for node in comp.graph.nodes:
        if node.op == "Input" or not REGISTRY[node.op].is_layer:
            continue
        cfg = keras.saving.serialize_keras_object(model.get_layer(node.name))["config"]
        args = node.params.to_config()
        if node.op == "MultiHeadAttention" and args["attention_axes"] is None:  # Keras's config holds its default
            args["attention_axes"] = list(range(1, len(comp.types[node.inputs[0]].shape)))  # every position axis
        check_config(node.name, args, cfg)


def check_config(name: str, args: dict, cfg: dict) -> None:
    """Every argument of ``args`` (``to_config()``) is in the Keras config ``cfg`` with its value; a wrapper's inner
    layer (``{"class_name", "config"}``) is its class and, argument by argument, its config."""
    for arg, ours in args.items():
        if arg == "strides" and ours is None and "pool_size" in args:  # pooling: Keras's default stride
            ours = args["pool_size"]
        assert arg in cfg, f"{name}: {arg} is not in the Keras config"
        if arg == "layer" and isinstance(ours, dict):
            assert ours["class_name"] == cfg[arg]["class_name"], f"{name}.layer: {ours['class_name']}"
            check_config(f"{name}.layer", ours["config"], cfg[arg]["config"])
            continue
        if arg == "layers" and isinstance(ours, list):  # a container's inner layers, one by one
            inner = [m for m in cfg[arg] if m["class_name"] != "InputLayer"]  # Keras's config starts with its input
            assert [m["class_name"] for m in ours] == [m["class_name"] for m in inner], f"{name}.layers"
            for k, (mine, theirs) in enumerate(zip(ours, inner)):
                check_config(f"{name}.layers[{k}]", mine["config"], theirs["config"])
            continue
        assert _same(ours, cfg[arg], arg), f"{name}.{arg}: spec {ours!r}, Keras {cfg[arg]!r}"


SEEDED = """
archspec: 1
name: seeded
params:
  seed: 1
model:
  inputs:
    x: {shape: [8, 8, 3]}
  layers:
    - Conv2D: {filters: 4, kernel_size: 3, kernel_initializer: {glorot_uniform: {seed: $seed}},
               bias_initializer: {random_normal: {seed: $seed, stddev: 0.5}}, kernel_regularizer: {l2: 0.01}}
    - BatchNormalization: {epsilon: 0.001, momentum: 0.8, trainable: false}
    - Flatten
    - Dense: {units: 3, kernel_initializer: {he_normal: {seed: $seed}}, kernel_regularizer: {l1: 0.001, l2: 0.002},
              bias_regularizer: {l1: 0.5}}
"""


def test_seeded_initializers_give_the_same_weights_every_build() -> None:
    first = [w.copy() for w in compile_text(SEEDED, "seeded.yaml").to_keras().get_weights()]
    again = compile_text(SEEDED, "seeded.yaml").to_keras().get_weights()
    other = compile_text(SEEDED, "seeded.yaml", overrides={"seed": 2}).to_keras().get_weights()
    assert len(first) == len(again) == 8
    for a, b in zip(first, again):
        assert (a == b).all()
    # the seed, not chance, made them equal: kernels and the random-normal bias differ with another seed
    assert not (first[0] == other[0]).all() and not (first[1] == other[1]).all()
    assert not (first[6] == other[6]).all()


def test_regularizers_add_their_losses() -> None:
    import numpy as np

    model = compile_text(SEEDED, "seeded.yaml").to_keras()
    conv, dense = model.get_layer("conv2d"), model.get_layer("dense")
    k, (dk, db) = conv.get_weights()[0], dense.get_weights()
    want = sorted([0.01 * np.sum(k ** 2), 0.001 * np.sum(np.abs(dk)) + 0.002 * np.sum(dk ** 2),
                   0.5 * np.sum(np.abs(db))])
    got = sorted(float(v) for v in model.losses)
    assert got == pytest.approx(want, rel=1e-5)
    assert not model.get_layer("batch_normalization").trainable


def test_weight_decay_of_the_cifar_resnet() -> None:
    """preact_resnet_cifar puts an L2 regularizer on every kernel: one loss per convolution and the classifier."""
    comp = compile_file(SPECS / "preact_resnet_cifar.yaml")
    model = comp.to_keras(compile=False)
    kernels = [n for n in comp.graph.nodes if n.op in ("Conv2D", "Dense")]
    assert len(model.losses) == len(kernels) > 40


# ---------------------------------------------------------------------------------------------------------------
# FLOPs
# ---------------------------------------------------------------------------------------------------------------

#: Layers that run their time steps in a loop the profiler counts once at most: profiled with ``unroll=True``
#: (``kerasutil.unrolled``), the same computation with every step visible.
LOOPED = ("SimpleRNN", "LSTM", "GRU", "Bidirectional")


def profiler_blind_flops(comp: Compilation) -> int:
    """FLOPs the profiler does not see (grouped convolutions, 3D window pools, 3D transposed convolutions' kernels:
    ``kerasutil.profiler_unseen_flops``; a LayerNormalization that reads a grouped convolution's output:
    ``kerasutil.profiler_unseen_after``)."""
    total = 0
    for n in comp.graph.nodes:
        if n.op == "Input":
            continue
        ins = [comp.types[i].shape for i in n.inputs]
        total += kerasutil.profiler_unseen_flops(n.op, n.params, ins, comp.types[n.name].shape)
        sources = [comp.graph.node(i) for i in n.inputs]
        total += kerasutil.profiler_unseen_after(n.op, [(s.op, s.params) for s in sources],
                                                 comp.stats.nodes[n.name].flops or 0)
    return total


@contextlib.contextmanager
def heavy_lock(params: int) -> Iterator[None]:
    """Serialises profiles of very large models across pytest-xdist workers (memory, not correctness)."""
    if params <= HEAVY_PARAMS:
        yield
        return
    with open(os.path.join(tempfile.gettempdir(), "archc-profile-heavy.lock"), "w") as f:
        fcntl.flock(f, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(f, fcntl.LOCK_UN)


def first_with_same_ir() -> dict[Path, Path]:
    """For each spec, the spec profiled in its place: the first (reference specs first, then in path order) whose
    IR is the same but for the model's name."""
    seen: dict[str, Path] = {}
    ordered = sorted(spec_files(), key=lambda p: (key(p) not in REFERENCE, p))
    out = {}
    for p in ordered:
        try:
            out[p] = seen.setdefault(compile_file(p).ir().split("\n", 1)[1], p)
        except CompileError:
            out[p] = p
    return out


SAME_IR = first_with_same_ir()


@pytest.mark.parametrize("path", spec_params(SLOW_PROFILES))
def test_profiler_flops_equal_static_flops(path: Path) -> None:
    if SAME_IR[path] != path:
        pytest.skip(f"the same graph as {SAME_IR[path].relative_to(SPECS)}, profiled there")
    comp = compile_file(path)
    static = comp.stats.total.flops
    assert static is not None
    with heavy_lock(comp.stats.total.total):
        model = comp.to_keras(compile=False)
        if any(n.op in LOOPED for n in comp.graph.nodes):
            model = kerasutil.unrolled(model)
        profiled = kerasutil.profiler_flops(model) + kerasutil.einsum_flops(model)
        keras.backend.clear_session()
        gc.collect()
    assert profiled == static - profiler_blind_flops(comp)
    if key(path) in PROFILER_KNOWN:
        assert profiled == PROFILER_KNOWN[key(path)]
