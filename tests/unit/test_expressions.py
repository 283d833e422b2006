"""The expression language: values, templates, errors with positions, and bounds."""

from __future__ import annotations

import dataclasses

import pytest

from archcompiler import expressions as ex
from archcompiler.expressions import ExprError, evaluate_string, work_budget

ENV = {"stage": 2, "i": 1, "filters": [64, 64, 256], "f": 3, "name": "res2b", "s": {"stage": 3, "depth": 4},
       "eps": 2e-5, "flag": True}


@pytest.mark.parametrize("text, value", [
    ("$f", 3), ("$filters", [64, 64, 256]), ("${filters[2] * 4}", 1024), ("${filters[-1]}", 256),
    ("${filters[1:]}", [64, 256]), ("${f // 2}", 1), ("${f / 2}", 1.5), ("${f % 2}", 1), ("${2 ** 3}", 8),
    ("${-f + 1}", -2), ("${(f + 1) * 2}", 8), ("${1 if i > 0 else 2}", 1), ("${f == 3 and not flag}", False),
    ("${f > 1 or undefined_is_not_evaluated}", True), ("${1 < f <= 3}", True), ("${3 in filters}", False),
    ("${64 in filters}", True), ("${'b' not in 'abc'}", False), ("${len(filters)}", 3), ("${sum(filters)}", 384),
    ("${max(filters)}", 256), ("${min(4, f)}", 3), ("${range(3)}", [0, 1, 2]), ("${range(1, 7, 2)}", [1, 3, 5]),
    ("${str(f) + 'x'}", "3x"), ("${int('12')}", 12), ("${float(f)}", 3.0), ("${abs(-2)}", 2),
    ("${round(2.567, 1)}", 2.6), ("${format(i, '02d')}", "01"), ("${zip([1, 2], [3, 4])}", [[1, 3], [2, 4]]),
    ("${enumerate(['a'])}", [[0, "a"]]), ("$s.stage", 3), ("${s.depth - 1}", 3), ("${s['stage']}", 3),
    ("${[f, f]}", [3, 3]), ("${none}", None), ("${true}", True), ("${eps * 2}", 4e-5), ("${'a' * 3}", "aaa"),
    ("${[0] * 2}", [0, 0]), ("${make_divisible(32 * 0.35, 8)}", 16), ("${make_divisible(int(96 * 0.35), 8)}", 32),
    ("${make_divisible(11, 8)}", 16),
    ("${make_divisible(1280 * 1.3, 8)}", 1664), ("${make_divisible(3, 8)}", 8), ("${make_divisible(20, 16)}", 32),
    ("${make_divisible(5, 4, 2)}", 8), ("${make_divisible(3, 4, 1)}", 4),
    ("res${stage}${'abcdef'[i]}_branch2a", "res2b_branch2a"), ("${name}_1_conv", "res2b_1_conv"),
    ("conv${stage + 1}_block${i}", "conv3_block1"), ("a$$b", "a$b"), ("no expression", "no expression"),
    ("${filters}", [64, 64, 256]), ("x${filters}", "x[64, 64, 256]"), ("${flag}!", "true!"),
])
def test_values(text: str, value) -> None:
    assert evaluate_string(text, ENV) == value


@pytest.mark.parametrize("text, code, offset", [
    ("${nope}", "E301", 2), ("${stage + nope}", "E301", 10), ("${foo(1)}", "E301", 2), ("$stage_x", "E301", 1),
    ("${1 +}", "E300", 5), ("${(1}", "E300", 4), ("pre${stage", "E300", 3), ("a$stage", "E300", 1),
    ("${a.}", "E300", 4), ("${x = 1}", "E300", 4), ("${1 if 2}", "E300", 8), ("${lambda: 1}", "E300", 2),
    ("${__import__('os')}", "E301", 2), ("${filters[5]}", "E302", 9), ("${f / 0}", "E302", 4),
    ("${'a' + 1}", "E302", 6), ("${2 ** 1000}", "E302", 4), ("${10 ** 200}", "E302", 5),
    ("${'a' * 1000000}", "E302", 6), ("${range(10 ** 9)}", "E302", 2), ("${s.nope}", "E302", 4),
    ("${f.x}", "E302", 4), ("${len(3)}", "E302", 2), ("${int('x')}", "E302", 2), ("${filters < 3}", "E302", 10),
    ("${format(1, '{0}')}", "E302", 2), ("${make_divisible(8, 0)}", "E302", 2),
    ("${make_divisible('8', 8)}", "E302", 2), ("${make_divisible(8, 2.5)}", "E302", 2),
    ("${make_divisible(2.0 ** 70, 8)}", "E302", 2), ("${make_divisible(8)}", "E302", 2),
    ("${" + "(" * 200 + "1" + ")" * 200 + "}", "E300", None),
])
def test_errors(text: str, code: str, offset: int | None) -> None:
    with pytest.raises(ExprError) as info:
        evaluate_string(text, ENV)
    assert info.value.code == code
    if offset is not None:
        assert info.value.offset == offset, info.value.message


@pytest.mark.parametrize("text, message", [
    ("${s[[1]]}", "a mapping's key cannot be a list. Received: [1]"),
    ("${s[s]}", "a mapping's key cannot be a mapping. Received: {'stage': 3, 'depth': 4}"),
])
def test_a_mapping_indexed_by_a_list_or_a_mapping(text: str, message: str) -> None:
    with pytest.raises(ExprError) as info:
        evaluate_string(text, ENV)
    assert (info.value.code, info.value.message, info.value.offset) == ("E302", message, 3)


def test_did_you_mean_for_variables() -> None:
    with pytest.raises(ExprError) as info:
        evaluate_string("${filtres[0]}", ENV)
    assert info.value.hint == "did you mean 'filters'?"


def test_no_python_eval() -> None:
    """Dunder tricks, attribute walks and calls of values are not part of the language."""
    for text in ("${().__class__}", "${filters.__len__()}", "${(lambda: 1)()}", "${[x.__class__ for x in filters]}"):
        with pytest.raises(ExprError):
            evaluate_string(text, ENV)


# --- work is bounded, not only size ------------------------------------------------------------------------------

@pytest.mark.parametrize("text, message", [
    ("${round(12345, -100000000)}", "round()'s digits must lie between -30 and 30"),
    ("${len(str([range(100000)] * 100000))}", "more than 100000 values and characters"),
    ("${[range(50000), range(50000), range(50000)]}", "more than 100000 values and characters"),
    ("${str([range(60000)] * 2)}", "more than 100000 values and characters"),
    ("${[[range(1000)] * 1000]}", "more than 100000 values and characters"),
    ("${range(100000) + range(1)}", "longer than 100000 items"),
    ("x${[range(99999)]}", "longer than 100000 characters"),
])
def test_values_that_would_take_long_to_build_are_refused_first(text: str, message: str) -> None:
    with pytest.raises(ExprError) as info:
        evaluate_string(text, ENV)
    assert info.value.code == "E302" and message in info.value.message


def test_empty_ranges_are_not_too_long() -> None:
    assert evaluate_string("${range(0, 10**12, -1)}", ENV) == []
    assert evaluate_string("${len(range(10**12, 0))}", ENV) == 0


def test_one_budget_is_shared_by_every_expression_of_a_spec() -> None:
    with work_budget(2_000_000):
        for _ in range(3):
            evaluate_string("${range(100000) == range(100000)}", ENV)  # about 600,000 units each
        with pytest.raises(ExprError) as info:
            evaluate_string("${range(100000) == range(100000)}", ENV)
    assert info.value.code == "E302" and "more than 2,000,000 units of work" in info.value.message
    assert evaluate_string("${range(100000) == range(100000)}", ENV) is True  # outside: a budget of its own
def test_a_compiled_spec_has_one_budget(monkeypatch) -> None:
    from archcompiler import CompileError, compile_text
    text = ("archspec: 1\nmodel:\n  inputs: {x: {shape: [4]}}\n  layers:\n    - repeat: 20000\n      layers:\n"
            "        - if: \"${len(range(1000)) < 0}\"\n          layers: [Flatten]\n    - Dense: 2\n")
    with pytest.raises(CompileError) as info:
        compile_text(text, "t.yaml")
    (d,) = {d.code: d for d in info.value.diagnostics}.values()
    assert d.code == "E302" and "units of work" in d.message



# --- the syntax tree ---------------------------------------------------------------------------------------------

def _below(node) -> list:
    """The nodes right below ``node``, read from its dataclass fields (not from ``children()``)."""
    found = []
    for f in dataclasses.fields(node):
        value = getattr(node, f.name)
        for item in value if isinstance(value, tuple) else (value,):
            item = item.right if isinstance(item, ex.Comparison) else item
            if isinstance(item, ex.ForClause):
                found.extend([item.iterable, *item.conds])
            elif isinstance(item, ex.Node):
                found.append(item)
    return found


def _walk(node) -> list:
    """``node`` and every node under it."""
    return [node] + [n for c in _below(node) for n in _walk(c)]


#: One expression per node type, with the type and offset of its top node (what errors point at).
TREES = [
    ("12", ex.Const, 0), ("'ab'", ex.Const, 0), ("none", ex.Const, 0), ("x", ex.Var, 0), ("a + b", ex.Binary, 2),
    ("a ** -b", ex.Binary, 2), ("-a", ex.Unary, 0), ("not a", ex.Not, 0), ("a and b", ex.BoolOp, 2),
    ("a or b", ex.BoolOp, 2), ("a if c else b", ex.IfExpr, 2), ("a < b <= c", ex.Compare, 0),
    ("a not in b", ex.Compare, 0), ("[a, 1]", ex.ListExpr, 0), ("a[0]", ex.Index, 1), ("a[1:]", ex.Slice, 1),
    ("a[:]", ex.Slice, 1), ("a[::2]", ex.Slice, 1), ("a.key", ex.Attr, 2), ("len(a)", ex.Call, 0),
    ("  max(a, b)", ex.Call, 2), ("[x for x in a if x]", ex.ListComp, 0),
    (" [x + y for x in a for y in b if x if y]", ex.ListComp, 1),
]


@pytest.mark.parametrize("text, kind, pos", TREES)
def test_each_node_type_with_its_position(text: str, kind: type, pos: int) -> None:
    tree = ex.parse_expression(text)
    assert type(tree) is kind and tree.pos == pos


def test_every_node_type_is_reachable() -> None:
    kinds = {type(n) for text, _, _ in TREES for n in _walk(ex.parse_expression(text))}
    # (a slotted dataclass is a new class: the one it replaced may linger in __subclasses__ until collected)
    assert kinds == {getattr(ex, c.__name__) for c in ex.Node.__subclasses__()}
    assert len(kinds) == 14


def test_comparison_links_keep_their_operators_and_positions() -> None:
    tree = ex.parse_expression("a < b not in c")
    assert [(c.op, c.pos) for c in tree.links] == [("<", 2), ("not in", 6)]


@pytest.mark.parametrize("text", [t for t, _, _ in TREES] + [
    "f(a, [b, c[1:d]], -e.k if not g else h < i == j)", "x[y[z]] + (1 or 2) * 3", "[[], [[]]]",
])
def test_children_are_the_nodes_the_fields_hold(text: str) -> None:
    """What the size guard walks (``children()``) is every node right below, each once, in field order."""
    for node in _walk(ex.parse_expression(text)):
        assert [id(c) for c in node.children()] == [id(c) for c in _below(node)]


def test_trees_are_frozen_hashable_and_compact() -> None:
    text = "f(x)[1:] if a < b else [1, 'y']"
    a, b = ex.parse_expression(text), ex.parse_expression(text + " ")
    assert a == b and hash(a) == hash(b) and a is not b
    with pytest.raises(dataclasses.FrozenInstanceError):
        a.pos = 3  # type: ignore[misc]
    assert not hasattr(a, "__dict__")
    assert ex.compile_string("${x + 1}") is ex.compile_string("${x + 1}")  # parsed once, then cached


@pytest.mark.parametrize("make, nodes", [
    (lambda k: " + ".join(["1"] * k), lambda k: 2 * k - 1),        # Binary chain
    (lambda k: " == ".join(["1"] * k), lambda k: k + 1),           # one Compare with k - 1 links
    (lambda k: "[" + ", ".join(["1"] * k) + "]", lambda k: k + 1),  # a list of k items
    (lambda k: "max(" + ", ".join(["x"] * k) + ")", lambda k: k + 1),
    (lambda k: "x" + "[0]" * k, lambda k: 2 * k + 1),              # nested indexing
    (lambda k: "x" + ".a" * k, lambda k: k + 1),
])
def test_the_size_guard_counts_each_node_once(make, nodes) -> None:
    fits = next(k for k in range(1, 1000) if nodes(k + 1) > ex.MAX_NODES)
    assert nodes(fits) <= ex.MAX_NODES
    tree = ex.parse_expression(make(fits))
    assert len(_walk(tree)) == nodes(fits)
    for text in (make(fits + 1), "${" + make(fits + 1) + "}", "a${" + make(fits + 1) + "}"):
        with pytest.raises(ExprError) as info:
            ex.parse_expression(text) if not text.count("$") else evaluate_string(text, ENV)
        assert info.value.code == "E300" and f"more than {ex.MAX_NODES} operations" in info.value.message


def test_long_expressions_in_spec_strings_are_refused() -> None:
    for text in ("${'" + "a" * 5000 + "'}", "x${'" + "a" * 5000 + "'}", "$a" + ".b" * 3000):
        with pytest.raises(ExprError) as info:
            evaluate_string(text, {"a": {}})
        assert info.value.code == "E300" and "longer than 4000 characters" in info.value.message
    assert evaluate_string("${'" + "a" * 3000 + "'}", {}) == "a" * 3000


# -- list comprehensions ---------------------------------------------------------------------------------------

WIDTHS = {"widths": [4, 8, 16, 32], "pairs": [[1, 2], [3, 4]], "n": 3, "x": 100}


@pytest.mark.parametrize("text, value", [
    ("${[2 * w for w in widths if w > 8]}", [32, 64]),
    ("${[i * w for i, w in enumerate(widths)]}", [0, 8, 32, 96]),
    ("${[a * 10 + b for a in range(n) for b in range(a)]}", [10, 20, 21]),
    ("${[a + b for a in range(n) if a > 0 for b in range(a) if b > 0]}", [3]),
    ("${[w for w in widths if w > 4 if w < 32]}", [8, 16]),
    ("${[[y * 2 for y in p] for p in pairs]}", [[2, 4], [6, 8]]),
    ("${[c + '!' for c in 'ab']}", ["a!", "b!"]),
    ("${[x for x in widths][-1]}", 32),          # the loop variable hides the outer x inside only
    ("${[x for x in widths] + [x]}", [4, 8, 16, 32, 100]),
    ("${sum([w for w in widths]) // len([1 for w in widths])}", 15),
    ("${[w for w in []]}", []), ("${widths[::2]}", [4, 16]), ("${widths[::-1]}", [32, 16, 8, 4]),
    ("${widths[1::2]}", [8, 32]), ("${'abcd'[::-2]}", "db"),
    ("s${[w // 4 for w in widths][2]}", "s4"),
])
def test_comprehension_values(text: str, value) -> None:
    assert evaluate_string(text, WIDTHS) == value


@pytest.mark.parametrize("text, message, offset", [
    ("${[w for w in 5]}", "a comprehension iterates over a list or a string. Received: int 5", 14),
    ("${[a for a, b in widths]}", "cannot unpack int 4 into 2 names (a, b)", 5),
    ("${[a for a, b, c in pairs]}", "cannot unpack list [1, 2] into 3 names (a, b, c)", 5),
    ("${[w for w in widths][w]}", "unknown variable 'w'", 22),
    ("${[w for 3 in widths]}", "a comprehension's 'for' takes variable names", 9),
    ("${[w for in in widths]}", "a comprehension's 'for' takes variable names", 9),
    ("${[w for w widths]}", "expected 'in', found 'widths'", 11),
    ("${widths[::0]}", "a slice step must not be zero", 8),
    ("${[x for x in range(100000) for y in range(2)]}", "the comprehension makes more than 100000 items", 2),
    ("${[w / 0 for w in widths]}", "division by zero", 5),
])
def test_comprehension_errors(text: str, message: str, offset: int) -> None:
    with pytest.raises(ExprError) as info:
        evaluate_string(text, WIDTHS)
    assert message in info.value.message and info.value.offset == offset, (info.value.message, info.value.offset)


def test_every_comprehension_step_is_charged_to_the_budget() -> None:
    """A filter that keeps nothing still pays for each item it looks at: nested loops cannot spin for free."""
    with work_budget(10_000):
        with pytest.raises(ExprError) as info:
            evaluate_string("${[1 for a in range(100) for b in range(100) if false]}", {})
    assert info.value.fatal and "units of work" in info.value.message
    with work_budget(10_000):
        assert evaluate_string("${[1 for a in range(40) for b in range(40) if false]}", {}) == []


@pytest.mark.parametrize("text, message, hint", [
    ("${lambda x: x * 2}", "a lambda is not supported", "list comprehension"),
    ("${ {k: 1 for k in widths} }", "dict and set displays and comprehensions are not supported", "use a list"),
    ("${ {w for w in widths} }", "dict and set displays and comprehensions are not supported", "use a list"),
    ("${ {'a': 1} }", "dict and set displays and comprehensions are not supported", "mapping as a parameter"),
    ("${(w for w in widths)}", "generator expressions are not supported", "[x for x in xs]"),
    ("${sum(w for w in widths)}", "generator expressions are not supported as function arguments",
     "sum([x for x in xs])"),
    ("${max(1, w for w in widths)}", "generator expressions are not supported as function arguments", "sum(["),
    ("${(y := 3)}", "':=' (walrus) is not supported", "parameter"),
    ("${[y := 3]}", "':=' (walrus) is not supported", "parameter"),
    ("${round(2.5, ndigits=1)}", "no assignments or keyword arguments", "by position"),
    ("${[*widths, 1]}", "'*' unpacking is not supported", "a + b"),
    ("${n is none}", "'is' is not supported", "=="),
    ("${n & 1}", "bitwise operators are not supported", "and / or / not"),
    ("${n << 1}", "bitwise shifts are not supported", "2 ** n"),
    ("${(1, 2)}", "tuples are not supported", "[a, b]"),
    ("${[1, w for w in widths]}", "a comprehension is one element expression followed by 'for' clauses",
     "[2 * w for w in widths if w > 8]"),
    ("${w for w in widths}", "a comprehension is one element expression", "[2 * w"),
])
def test_unsupported_constructs_say_so(text: str, message: str, hint: str) -> None:
    with pytest.raises(ExprError) as info:
        evaluate_string(text, WIDTHS)
    e = info.value
    assert e.code == "E300" and message in e.message and hint in (e.hint or ""), (e.message, e.hint)
    assert "expected" not in e.message  # not "expected ']', found 'for'"


def test_comprehension_variables_are_not_free_names() -> None:
    tree = ex.parse_expression("[x + k for x in xs if x > lo for y in x]")
    assert sorted(v.name for v in ex.free_names(tree)) == ["k", "lo", "xs"]
