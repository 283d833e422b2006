"""The expression language of specs: parsed and evaluated here, never by Python's ``eval``.

In a spec, a string value is
  * ``$name`` or ``${expr}`` alone: replaced by the expression's value, keeping its type (``filters: ${F * 4}``);
  * text with ``${expr}`` inside: a template; each expression is formatted into the text
    (``name: res${stage}${'abcdef'[i]}_branch2a``);
  * anything else: a plain string. ``$$`` stands for a literal ``$``.

Expressions have literals (ints, floats, 'strings', [lists], true/false/none), variables, arithmetic
(``+ - * / // % **``), comparisons (chained), ``and or not``, the conditional ``a if cond else b``, indexing and slicing
(``xs[0]``, ``xs[1:]``, ``xs[::2]``, ``'abc'[i]``), list comprehensions (``[2 * w for w in widths if w > 8]``, with
one or more ``for`` and ``if`` clauses) and a few pure functions (see ``FUNCTIONS``). Every operation is bounded: no
value may grow past ``MAX_LEN`` items or ``MAX_INT`` in magnitude, and every comprehension step is charged to the
work budget, so a spec cannot make the compiler hang. A construct of Python that the language does not have (a
lambda, a dict or set display or comprehension, a generator expression, ``:=``, keyword arguments, ``*`` unpacking,
``is``, bitwise operators) is reported as unsupported, with what to write instead.

A value may also be a tensor (:class:`TensorRef`: a block input or an id, as expand.py binds them); ``.shape``,
``.rank`` and ``.dtype`` read its static type, inferred only when asked.
"""

from __future__ import annotations

import math
import re
from collections import ChainMap
from contextlib import contextmanager
from dataclasses import dataclass
from functools import lru_cache
from typing import Any, Callable, Iterator, Mapping

MAX_INT = 2**63
MAX_LEN = 100_000
MAX_SOURCE = 4_000
MAX_DEPTH = 60


class ExprError(Exception):
    """An error in an expression, with the offset and length of the culprit inside the expression's string."""

    def __init__(self, code: str, message: str, offset: int = 0, length: int = 1, hint: str | None = None,
                 fatal: bool = False, quiet: bool = False):
        super().__init__(message)
        self.code = code
        self.message = message
        self.offset = offset
        self.length = max(1, length)
        self.hint = hint
        self.fatal = fatal  # the work budget is spent: nothing more can be evaluated
        self.quiet = quiet  # the cause is reported on its own (a layer's shape error): no message here


#: Work one spec's expressions may do in all: one unit per operation evaluated, plus one per item or character
#: that an operation walks or builds (string conversion, comparison, repetition, concatenation, ranges...).
WORK_BUDGET = 2_000_000


class _Budget:
    __slots__ = ("left", "total")

    def __init__(self, units: int):
        self.left = units
        self.total = units


_active: _Budget | None = None


@contextmanager
def work_budget(units: int = WORK_BUDGET) -> Iterator[None]:
    """Shares one budget of ``units`` among every expression evaluated inside the ``with`` block (one spec).

    Outside such a block each :func:`evaluate_string` call has a budget of its own.
    """
    global _active
    outer, _active = _active, _Budget(units)
    try:
        yield
    finally:
        _active = outer


def _charge(units: int, pos: int) -> None:
    """Charges ``units`` of work before it is done; raises E302 when the spec's budget runs out."""
    b = _active
    if b is None:
        return
    b.left -= units
    if b.left < 0:
        raise ExprError("E302", f"the spec's expressions need more than {b.total:,} units of work (the limit); "
                        "simplify the expression or the loops around it", pos, fatal=True)


def _weight(v: Any, limit: int = MAX_LEN) -> int:
    """How many values and characters ``v`` holds below its top: the items of every nested list and mapping, the
    keys of mappings and the characters of strings. The walk stops as soon as the count passes ``limit``, so it is
    bounded too, even for a list of 100,000 references to one list."""
    total = 0
    todo = [v]
    while todo:
        x = todo.pop()
        if isinstance(x, str):
            total += len(x)
        elif isinstance(x, list):
            total += len(x)
            if total > limit:
                return total
            todo.extend(x)
        elif isinstance(x, dict):
            total += 2 * len(x)
            if total > limit:
                return total
            todo.extend(x.keys())
            todo.extend(x.values())
        if total > limit:
            return total
    return total


# ---------------------------------------------------------------------------------------------------------------
# Tokens
# ---------------------------------------------------------------------------------------------------------------

_TOKEN = re.compile(r"""
    (?P<ws>\s+)
  | (?P<num>(?:\d+\.\d*|\.\d+|\d+)(?:[eE][-+]?\d+)?)
  | (?P<str>'(?:[^'\\]|\\.)*'|"(?:[^"\\]|\\.)*")
  | (?P<name>[A-Za-z_][A-Za-z0-9_]*)
  | (?P<op>\*\*|//|==|!=|<=|>=|:=|<<|>>|[-+*/%<>()\[\],:.{}=&|^~@;!])
""", re.VERBOSE)

_KEYWORDS = {"and", "or", "not", "if", "else", "in", "for", "true", "false", "none", "True", "False", "None"}

#: Python constructs the language does not have, by the token that starts them: what to say and what to write.
_UNSUPPORTED_WORDS = {
    "lambda": ("a lambda is not supported in expressions",
               "write the computation out, e.g. in a list comprehension: [2 * w for w in widths]"),
    "is": ("'is' is not supported in expressions", "compare with == or != (e.g. d == none)"),
    "yield": ("'yield' is not supported in expressions", "build a list with a comprehension"),
    "await": ("'await' is not supported in expressions", None),
    "def": ("definitions are not supported in expressions", "declare a block with params instead"),
    "import": ("'import' is not supported in expressions", "use the built-in functions: " + "{functions}"),
}
_UNSUPPORTED_OPS = {
    ":=": ("the assignment expression ':=' (walrus) is not supported",
           "declare a parameter, or a loop variable with for:/in:"),
    "=": ("'=' is not supported in expressions (no assignments or keyword arguments)",
          "compare with ==; pass function arguments by position, e.g. round(x, 2)"),
    "{": ("dict and set displays and comprehensions are not supported in expressions",
          "use a list ([a, b] or [f(x) for x in xs]); pass a mapping as a parameter's value"),
    "*": ("'*' unpacking is not supported in expressions", "join lists with +: a + b"),
    "**": ("'**' unpacking is not supported in expressions", None),
    "&": ("bitwise operators are not supported in expressions", "use and / or / not"),
    "|": ("bitwise operators are not supported in expressions", "use and / or / not"),
    "^": ("bitwise operators are not supported in expressions", "use and / or / not; ** is the power"),
    "~": ("bitwise operators are not supported in expressions", "use not, or a minus sign"),
    "<<": ("bitwise shifts are not supported in expressions", "multiply by 2 ** n"),
    ">>": ("bitwise shifts are not supported in expressions", "divide with // 2 ** n"),
    "@": ("'@' is not supported in expressions", None),
    ";": ("';' is not supported in expressions: one expression per ${...}", None),
    "!": ("'!' is not supported in expressions", "use not, or != to compare"),
}


def _unsupported(t: "Tok") -> ExprError | None:
    """The error for a token that starts a construct of Python the language does not have, or None."""
    entry = (_UNSUPPORTED_WORDS.get(t.text) if t.kind == "name" else
             _UNSUPPORTED_OPS.get(t.text) if t.kind == "op" else None)
    if entry is None:
        return None
    message, hint = entry
    if hint is not None and "{functions}" in hint:
        hint = hint.replace("{functions}", ", ".join(sorted(FUNCTIONS)))
    return ExprError("E300", message, t.pos, len(t.text), hint=hint)


@dataclass(frozen=True, slots=True)
class Tok:
    kind: str  # num, str, name, op, end
    text: str
    pos: int


def tokenize(src: str, start: int = 0, stop_at_brace: bool = False) -> tuple[list[Tok], int]:
    """Tokenizes ``src`` from ``start``. With ``stop_at_brace``, stops at a ``}`` outside brackets and returns its
    position (for ``${...}`` in templates)."""
    toks: list[Tok] = []
    pos = start
    depth = braces = 0
    while pos < len(src):
        m = _TOKEN.match(src, pos)
        if not m:
            raise ExprError("E300", f"unexpected character {src[pos]!r} in expression", pos)
        kind = m.lastgroup
        text = m.group()
        if kind != "ws":
            if kind == "op" and text in "([":
                depth += 1
            elif kind == "op" and text in ")]":
                depth -= 1
            elif kind == "op" and text == "{":  # no braces in the language: the parser says so at the '{'
                braces += 1
            elif kind == "op" and text == "}":
                if braces > 0:
                    braces -= 1
                elif stop_at_brace and depth <= 0:
                    toks.append(Tok("end", "", pos))
                    return toks, pos
                else:
                    raise ExprError("E300", f"unexpected {text!r} in expression", pos)
            toks.append(Tok(kind, text, pos))  # type: ignore[arg-type]
        pos = m.end()
    if stop_at_brace:
        raise ExprError("E300", "'${' is not closed by '}'", start - 2, 2)
    toks.append(Tok("end", "", pos))
    return toks, pos


# ---------------------------------------------------------------------------------------------------------------
# Syntax tree: one small frozen class per kind of node, each with ``pos``, the offset of its token in the
# expression's string (for error positions). ``children()`` gives the nodes directly below it.
# ---------------------------------------------------------------------------------------------------------------

@dataclass(frozen=True, slots=True)
class Node:
    """A node of an expression's syntax tree."""

    pos: int

    def children(self) -> tuple[Node, ...]:
        return ()


@dataclass(frozen=True, slots=True)
class Const(Node):
    """A literal: int, float, string, bool or none."""

    value: int | float | str | bool | None


@dataclass(frozen=True, slots=True)
class Var(Node):
    """A variable, looked up in the environment."""

    name: str


@dataclass(frozen=True, slots=True)
class Binary(Node):
    """Arithmetic: ``left op right`` with op one of ``+ - * / // % **`` (``pos``: the operator)."""

    op: str
    left: Node
    right: Node

    def children(self) -> tuple[Node, ...]:
        return (self.left, self.right)


@dataclass(frozen=True, slots=True)
class Unary(Node):
    """A sign: ``-operand`` or ``+operand``."""

    op: str
    operand: Node

    def children(self) -> tuple[Node, ...]:
        return (self.operand,)


@dataclass(frozen=True, slots=True)
class Not(Node):
    """``not operand``."""

    operand: Node

    def children(self) -> tuple[Node, ...]:
        return (self.operand,)


@dataclass(frozen=True, slots=True)
class BoolOp(Node):
    """``left and right`` or ``left or right``: the right side is evaluated only when needed."""

    op: str
    left: Node
    right: Node

    def children(self) -> tuple[Node, ...]:
        return (self.left, self.right)


@dataclass(frozen=True, slots=True)
class IfExpr(Node):
    """``then if cond else other`` (``pos``: the ``if``)."""

    cond: Node
    then: Node
    other: Node

    def children(self) -> tuple[Node, ...]:
        return (self.cond, self.then, self.other)


@dataclass(frozen=True, slots=True)
class Comparison:
    """One link of a comparison chain: ``op right``, with ``pos`` the operator's offset. Not a node itself."""

    op: str  # == != < <= > >= in, not in
    pos: int
    right: Node


@dataclass(frozen=True, slots=True)
class Compare(Node):
    """A comparison chain ``left op1 a op2 b ...``, true when every link holds (``pos``: the first operand)."""

    left: Node
    links: tuple[Comparison, ...]

    def children(self) -> tuple[Node, ...]:
        return (self.left, *(c.right for c in self.links))


@dataclass(frozen=True, slots=True)
class ListExpr(Node):
    """A list display ``[a, b, ...]``."""

    items: tuple[Node, ...]

    def children(self) -> tuple[Node, ...]:
        return self.items


@dataclass(frozen=True, slots=True)
class ForClause:
    """One ``for targets in iterable`` clause of a comprehension, with the ``if`` conditions written after it
    (``pos``: the ``for``). Not a node itself; its iterable and conditions are."""

    pos: int
    targets: tuple[str, ...]  # one name, or several unpacked from each item: for i, w in enumerate(ws)
    iterable: Node
    conds: tuple[Node, ...]


@dataclass(frozen=True, slots=True)
class ListComp(Node):
    """A list comprehension ``[element for x in xs if cond ...]`` (``pos``: the ``[``): the clauses nest left to
    right, as in Python; the loop variables are seen only inside the comprehension."""

    element: Node
    clauses: tuple[ForClause, ...]

    def children(self) -> tuple[Node, ...]:
        return (self.element, *(n for c in self.clauses for n in (c.iterable, *c.conds)))


@dataclass(frozen=True, slots=True)
class Index(Node):
    """``target[index]`` on a list, a string or a mapping (``pos``: the ``[``)."""

    target: Node
    index: Node

    def children(self) -> tuple[Node, ...]:
        return (self.target, self.index)


@dataclass(frozen=True, slots=True)
class Slice(Node):
    """``target[lo:hi]`` or ``target[lo:hi:step]``, any part may be left out (``pos``: the ``[``)."""

    target: Node
    lo: Node | None
    hi: Node | None
    step: Node | None = None

    def children(self) -> tuple[Node, ...]:
        return tuple(n for n in (self.target, self.lo, self.hi, self.step) if n is not None)


@dataclass(frozen=True, slots=True)
class Attr(Node):
    """``target.key`` on a mapping (``pos``: the key)."""

    target: Node
    key: str

    def children(self) -> tuple[Node, ...]:
        return (self.target,)


@dataclass(frozen=True, slots=True)
class Call(Node):
    """A call of one of the built-in ``FUNCTIONS`` (``pos``: the function's name)."""

    name: str
    args: tuple[Node, ...]

    def children(self) -> tuple[Node, ...]:
        return self.args


class _Parser:
    def __init__(self, toks: list[Tok]):
        self.toks = toks
        self.i = 0
        self.depth = 0

    def peek(self) -> Tok:
        return self.toks[self.i]

    def take(self) -> Tok:
        t = self.toks[self.i]
        self.i += 1
        return t

    def accept(self, text: str) -> Tok | None:
        t = self.peek()
        if t.text == text and t.kind in ("op", "name"):
            self.i += 1
            return t
        return None

    def expect(self, text: str) -> Tok:
        t = self.peek()
        if t.text != text:
            self.refuse(t)
            got = repr(t.text) if t.kind != "end" else "the end of the expression"
            raise ExprError("E300", f"expected {text!r}, found {got}", t.pos, len(t.text) or 1)
        return self.take()

    def parse(self) -> Node:
        node = self.expr()
        t = self.peek()
        if t.kind != "end":
            self.refuse(t)
            raise ExprError("E300", f"unexpected {t.text!r} after the expression", t.pos, len(t.text))
        return node

    def refuse(self, t: Tok, context: str = "") -> None:
        """Raises the "unsupported" error when ``t`` starts a construct of Python the language does not have
        (``context``: ``"("`` or ``"call"`` when it follows a parenthesised value or a function's argument)."""
        if t.kind == "name" and t.text == "for":
            if context == "(":
                raise ExprError("E300", "generator expressions are not supported", t.pos, 3,
                                hint="write a list comprehension in square brackets: [x for x in xs]")
            if context == "call":
                raise ExprError("E300", "generator expressions are not supported as function arguments", t.pos, 3,
                                hint="pass a list comprehension: sum([x for x in xs])")
            raise ExprError("E300", "a comprehension is one element expression followed by 'for' clauses, "
                            "inside square brackets", t.pos, 3, hint="[2 * w for w in widths if w > 8]")
        e = _unsupported(t)
        if e is not None:
            raise e

    def expr(self) -> Node:
        self.depth += 1
        if self.depth > MAX_DEPTH:
            raise ExprError("E300", f"expression nests deeper than {MAX_DEPTH} levels", self.peek().pos)
        node = self.or_()
        if self.peek().text == "if" and self.peek().kind == "name":
            pos = self.take().pos
            cond = self.or_()
            self.expect("else")
            other = self.expr()
            node = IfExpr(pos, cond, node, other)
        self.depth -= 1
        return node

    def or_(self) -> Node:
        node = self.and_()
        while (t := self.accept("or")):
            node = BoolOp(t.pos, "or", node, self.and_())
        return node

    def and_(self) -> Node:
        node = self.not_()
        while (t := self.accept("and")):
            node = BoolOp(t.pos, "and", node, self.not_())
        return node

    def not_(self) -> Node:
        if (t := self.accept("not")):
            return Not(t.pos, self.not_())
        return self.compare()

    def compare(self) -> Node:
        first = self.arith()
        links = []
        while True:
            t = self.peek()
            if t.kind == "op" and t.text in ("==", "!=", "<", "<=", ">", ">="):
                self.take()
                links.append(Comparison(t.text, t.pos, self.arith()))
            elif t.kind == "name" and t.text == "in":
                self.take()
                links.append(Comparison("in", t.pos, self.arith()))
            elif t.kind == "name" and t.text == "not" and self.toks[self.i + 1].text == "in":
                self.take()
                self.take()
                links.append(Comparison("not in", t.pos, self.arith()))
            else:
                break
        return Compare(first.pos, first, tuple(links)) if links else first

    def arith(self) -> Node:
        node = self.term()
        while (t := self.peek()).kind == "op" and t.text in ("+", "-"):
            self.take()
            node = Binary(t.pos, t.text, node, self.term())
        return node

    def term(self) -> Node:
        node = self.unary()
        while (t := self.peek()).kind == "op" and t.text in ("*", "/", "//", "%"):
            self.take()
            node = Binary(t.pos, t.text, node, self.unary())
        return node

    def unary(self) -> Node:
        t = self.peek()
        if t.kind == "op" and t.text in ("-", "+"):
            self.take()
            self.nest(t)
            node = Unary(t.pos, t.text, self.unary())
            self.depth -= 1
            return node
        return self.power()

    def power(self) -> Node:
        node = self.postfix()
        if (t := self.peek()).kind == "op" and t.text == "**":
            self.take()
            self.nest(t)
            node = Binary(t.pos, "**", node, self.unary())
            self.depth -= 1
        return node

    def nest(self, t: Tok) -> None:
        """Counts one more level of nesting; refuses expressions deeper than MAX_DEPTH."""
        self.depth += 1
        if self.depth > MAX_DEPTH:
            raise ExprError("E300", f"expression nests deeper than {MAX_DEPTH} levels", t.pos)

    def postfix(self) -> Node:
        node = self.atom()
        while True:
            t = self.peek()
            if t.kind == "op" and t.text == "[":
                self.take()
                lo = hi = step = None
                if self.peek().text != ":":
                    lo = self.expr()
                if self.accept(":"):
                    if self.peek().text not in ("]", ":"):
                        hi = self.expr()
                    if self.accept(":") and self.peek().text != "]":
                        step = self.expr()
                    self.expect("]")
                    node = Slice(t.pos, node, lo, hi, step)
                else:
                    self.expect("]")
                    node = Index(t.pos, node, lo)  # lo is set: ']' right after '[' fails in expr()
            elif t.kind == "op" and t.text == "(":
                if not isinstance(node, Var):
                    raise ExprError("E300", "only the built-in functions can be called", t.pos)
                self.take()
                args = []
                if self.peek().text != ")":
                    args.append(self.expr())
                    self.refuse(self.peek(), "call")
                    while self.accept(","):
                        if self.peek().text == ")":
                            break
                        args.append(self.expr())
                        self.refuse(self.peek(), "call")
                self.expect(")")
                node = Call(node.pos, node.name, tuple(args))
            elif t.kind == "op" and t.text == ".":
                self.take()
                key = self.take()
                if key.kind != "name":
                    raise ExprError("E300", "expected a key name after '.'", key.pos, len(key.text) or 1)
                node = Attr(key.pos, node, key.text)
            else:
                return node

    def atom(self) -> Node:
        t = self.take()
        if t.kind == "num":
            if re.fullmatch(r"\d+", t.text):
                if len(t.text) > 19:
                    raise ExprError("E302", "integer literal is too large", t.pos, len(t.text))
                return Const(t.pos, int(t.text))
            return Const(t.pos, float(t.text))
        if t.kind == "str":
            return Const(t.pos, _unescape(t.text[1:-1], t.pos))
        if t.kind == "name":
            if t.text in ("true", "True"):
                return Const(t.pos, True)
            if t.text in ("false", "False"):
                return Const(t.pos, False)
            if t.text in ("none", "None"):
                return Const(t.pos, None)
            if t.text in _KEYWORDS:
                raise ExprError("E300", f"unexpected keyword {t.text!r}", t.pos, len(t.text))
            self.refuse(t)
            return Var(t.pos, t.text)
        if t.kind == "op" and t.text == "(":
            node = self.expr()
            self.refuse(self.peek(), "(")
            if self.peek().text == ",":
                raise ExprError("E300", "tuples are not supported in expressions", self.peek().pos,
                                hint="write a list in square brackets: [a, b]")
            self.expect(")")
            return node
        if t.kind == "op" and t.text == "[":
            items = []
            if self.peek().text != "]":
                items.append(self.expr())
                if self.peek().kind == "name" and self.peek().text == "for":
                    node = ListComp(t.pos, items[0], self.comprehension())
                    self.expect("]")
                    return node
                while self.accept(","):
                    if self.peek().text == "]":
                        break
                    items.append(self.expr())
            self.expect("]")
            return ListExpr(t.pos, tuple(items))
        if t.kind == "end":
            raise ExprError("E300", "expected a value, found the end of the expression", t.pos)
        self.refuse(t)
        raise ExprError("E300", f"expected a value, found {t.text!r}", t.pos, len(t.text))

    def comprehension(self) -> tuple[ForClause, ...]:
        """The ``for ... in ... [if ...]`` clauses of a list comprehension (at least one)."""
        clauses = []
        while self.peek().kind == "name" and self.peek().text == "for":
            start = self.take()
            self.nest(start)
            targets = [self.target()]
            while self.accept(","):
                targets.append(self.target())
            self.expect("in")
            iterable = self.or_()
            conds = []
            while (t := self.peek()).kind == "name" and t.text == "if":
                self.take()
                conds.append(self.or_())
            clauses.append(ForClause(start.pos, tuple(targets), iterable, tuple(conds)))
            self.depth -= 1
        return tuple(clauses)

    def target(self) -> str:
        """A comprehension's loop variable: a plain name (not a keyword, not a function)."""
        t = self.take()
        if t.kind != "name" or t.text in _KEYWORDS or t.text in _UNSUPPORTED_WORDS:
            got = repr(t.text) if t.kind != "end" else "the end of the expression"
            raise ExprError("E300", f"a comprehension's 'for' takes variable names (for x in xs, or for i, x in "
                            f"enumerate(xs)); found {got}", t.pos, len(t.text) or 1)
        return t.text


def _unescape(s: str, pos: int) -> str:
    out = []
    i = 0
    while i < len(s):
        c = s[i]
        if c == "\\" and i + 1 < len(s):
            n = s[i + 1]
            out.append({"n": "\n", "t": "\t", "\\": "\\", "'": "'", '"': '"'}.get(n, "\\" + n))
            i += 2
        else:
            out.append(c)
            i += 1
    return "".join(out)


#: Most operations one expression may hold (long chains would exhaust the evaluator's stack).
MAX_NODES = 400


def _check_size(node: Node, pos: int) -> Node:
    """Refuses expressions with more than MAX_NODES nodes, each counted once (an iterative walk, no recursion)."""
    todo, count = [node], 0
    while todo:
        n = todo.pop()
        count += 1
        if count > MAX_NODES:
            raise ExprError("E300", f"expression has more than {MAX_NODES} operations", pos)
        todo.extend(n.children())
    return node


@lru_cache(maxsize=4096)
def parse_expression(src: str) -> Node:
    """Parses an expression into its syntax tree (cached: templates repeat)."""
    if len(src) > MAX_SOURCE:
        raise ExprError("E300", f"expression is longer than {MAX_SOURCE} characters", 0)
    toks, _ = tokenize(src)
    return _check_size(_Parser(toks).parse(), 0)


# ---------------------------------------------------------------------------------------------------------------
# Evaluation
# ---------------------------------------------------------------------------------------------------------------

def _check(value: Any, pos: int) -> Any:
    if isinstance(value, bool) or value is None:
        return value
    if isinstance(value, int):
        if abs(value) >= MAX_INT:
            raise ExprError("E302", f"integer result exceeds {MAX_INT}", pos)
    elif isinstance(value, float):
        if math.isnan(value) or math.isinf(value):
            raise ExprError("E302", "result is not a finite number", pos)
    elif isinstance(value, str):
        if len(value) > MAX_LEN:
            raise ExprError("E302", f"result is longer than {MAX_LEN} characters", pos)
    elif isinstance(value, (list, dict)):
        w = _weight(value)
        _charge(w, pos)
        if w > MAX_LEN:
            raise ExprError("E302", f"result holds more than {MAX_LEN} values and characters", pos)
    return value


class TensorRef:
    """A tensor as expressions see it: a block input, an id, ``_`` or a tap (``stem.act``). Its static type is read
    only when an expression asks for it: ``.shape`` (a list, batch left out, ``none`` for an unknown dimension),
    ``.rank`` (the shape's length) and ``.dtype``; ``.key`` is the tensor of the id ``key`` inside a block instance.

    ``read()`` gives ``(shape, dtype)``, or None when the shape cannot be inferred (that layer's error is reported
    on its own, so reading it fails quietly); ``inner(key)`` gives the tensor of a tap, or None.
    """

    __slots__ = ("name", "read", "inner")

    def __init__(self, name: str, read: Callable[[], tuple[tuple, str] | None],
                 inner: Callable[[str], "TensorRef | None"] | None = None):
        self.name = name
        self.read = read
        self.inner = inner

    def attribute(self, key: str, pos: int) -> Any:
        if key in ("shape", "rank", "dtype"):
            t = self.read()
            if t is None:
                raise ExprError("E302", f"the shape of '{self.name}' cannot be inferred", pos, len(key), quiet=True)
            shape, dtype = t
            return list(shape) if key == "shape" else len(shape) if key == "rank" else dtype
        tap = self.inner(key) if self.inner is not None else None
        if tap is None:
            raise ExprError("E302", f"tensor '{self.name}' has no attribute '{key}'", pos, len(key),
                            hint="a tensor has .shape, .rank and .dtype (and a block instance's ids, as taps)")
        return tap

    def __repr__(self) -> str:
        return f"<tensor {self.name}>"


def type_name(v: Any) -> str:
    """The spec-language name of a value's type."""
    if v is None:
        return "none"
    return {bool: "bool", int: "int", float: "float", str: "string", list: "list", dict: "mapping",
            TensorRef: "tensor"}.get(type(v), type(v).__name__)


#: The hint for arithmetic on none, which is what a tensor's unknown dimension reads as.
_NONE_HINT = ("an unknown dimension of a tensor's shape (null) is none: give the input a fixed size there, or test "
              "it first (d == none)")


def _num(v: Any, pos: int, op: str) -> int | float:
    if isinstance(v, bool) or not isinstance(v, (int, float)):
        got = "none" if v is None else f"{type_name(v)} {short_repr(v, 40)}"
        raise ExprError("E302", f"'{op}' needs numbers. Received: {got}", pos, hint=_NONE_HINT if v is None else None)
    return v


def short_repr(v: Any, limit: int = 60) -> str:
    """``repr(v)``, cut to ``limit`` characters (for the "Received:" part of a message)."""
    r = repr(v)
    return r if len(r) <= limit else r[:limit - 3] + "..."


def _int(v: Any, pos: int, what: str) -> int:
    if isinstance(v, bool) or not isinstance(v, int):
        raise ExprError("E302", f"{what} must be an integer. Received: {type_name(v)} {short_repr(v, 40)}", pos)
    return v


def _binop(op: str, a: Any, b: Any, pos: int) -> Any:
    if op == "+":
        if isinstance(a, str) and isinstance(b, str) or isinstance(a, list) and isinstance(b, list):
            if len(a) + len(b) > MAX_LEN:
                raise ExprError("E302", f"result is longer than {MAX_LEN} items", pos)
            _charge(len(a) + len(b), pos)
            return a + b
        return _num(a, pos, op) + _num(b, pos, op)
    if op == "*":
        if isinstance(a, (str, list)) or isinstance(b, (str, list)):
            seq, n = (a, b) if isinstance(a, (str, list)) else (b, a)
            n = _int(n, pos, "a repeat count")
            w = _weight(seq)
            if w * max(n, 0) > MAX_LEN:
                raise ExprError("E302", f"result holds more than {MAX_LEN} values and characters", pos)
            _charge(len(seq) * max(n, 0), pos)
            return seq * n
        return _num(a, pos, op) * _num(b, pos, op)
    a, b = _num(a, pos, op), _num(b, pos, op)
    if op == "-":
        return a - b
    if op in ("/", "//", "%"):
        if b == 0:
            raise ExprError("E302", "division by zero", pos)
        return a / b if op == "/" else a // b if op == "//" else a % b
    if op == "**":
        if isinstance(b, int) and abs(b) > 256 or isinstance(b, float) and abs(b) > 1024:
            raise ExprError("E302", "exponent is too large (at most 256)", pos)
        if isinstance(a, int) and isinstance(b, int) and b < 0:
            return float(a) ** b if a != 0 else _zero_div(pos)
        try:
            r = a ** b
        except (OverflowError, ZeroDivisionError) as e:
            raise ExprError("E302", f"cannot compute power: {e}", pos) from None
        if isinstance(r, complex):
            raise ExprError("E302", "power of a negative number to a fractional exponent", pos)
        return r
    raise ExprError("E300", f"unknown operator {op}", pos)  # pragma: no cover


def _zero_div(pos: int) -> Any:
    raise ExprError("E302", "division by zero", pos)


def _compare(op: str, a: Any, b: Any, pos: int) -> bool:
    if isinstance(a, (str, list, dict)) or isinstance(b, (str, list, dict)):
        _charge(_weight(a) + _weight(b), pos)
    if op == "==":
        return a == b
    if op == "!=":
        return a != b
    if op in ("in", "not in"):
        if not isinstance(b, (list, str)) or (isinstance(b, str) and not isinstance(a, str)):
            raise ExprError("E302", f"'{op}' needs a list or a string on its right. Received: {type_name(b)}", pos)
        return (a in b) if op == "in" else (a not in b)
    try:
        if isinstance(a, bool) or isinstance(b, bool) or a is None or b is None:
            raise TypeError
        return {"<": a < b, "<=": a <= b, ">": a > b, ">=": a >= b}[op]  # type: ignore[operator]
    except TypeError:
        raise ExprError("E302", f"cannot compare {type_name(a)} and {type_name(b)} with '{op}'", pos,
                        hint=_NONE_HINT if a is None or b is None else None) from None


def _f_range(pos: int, *args: Any) -> list[int]:
    if not 1 <= len(args) <= 3:
        raise ExprError("E302", "range() takes 1 to 3 integers", pos)
    ints = [_int(a, pos, "a range() argument") for a in args]
    if len(ints) == 3 and ints[2] == 0:
        raise ExprError("E302", "range() step must not be zero", pos)
    r = range(*ints)
    if len(r) > MAX_LEN:
        raise ExprError("E302", f"range() is longer than {MAX_LEN} items", pos)
    _charge(len(r), pos)
    return list(r)


def _f_len(pos: int, x: Any) -> int:
    if not isinstance(x, (list, str)):
        raise ExprError("E302", f"len() needs a list or a string. Received: {type_name(x)}", pos)
    return len(x)


def _f_minmax(fn: Callable) -> Callable:
    def f(pos: int, *args: Any) -> Any:
        items = args[0] if len(args) == 1 and isinstance(args[0], list) else list(args)
        if not items:
            raise ExprError("E302", f"{fn.__name__}() of nothing", pos)
        _charge(len(items), pos)
        for x in items:
            _num(x, pos, fn.__name__ + "()")
        return fn(items)
    return f


def _f_sum(pos: int, xs: Any) -> Any:
    if not isinstance(xs, list):
        raise ExprError("E302", f"sum() needs a list. Received: {type_name(xs)}", pos)
    _charge(len(xs), pos)
    total: int | float = 0
    for x in xs:
        total += _num(x, pos, "sum()")
    return total


def _f_str(pos: int, x: Any) -> str:
    if isinstance(x, (list, dict)):
        w = _weight(x)
        _charge(w, pos)
        if w > MAX_LEN:
            raise ExprError("E302", f"str() of more than {MAX_LEN} values and characters", pos)
    return _to_text(x)


def _f_int(pos: int, x: Any) -> int:
    if isinstance(x, str):
        if not re.fullmatch(r"\s*[-+]?\d{1,19}\s*", x):
            raise ExprError("E302", f"int() cannot read {x!r} as an integer", pos)
        return int(x)
    v = _num(x, pos, "int()")
    return int(v)


def _f_float(pos: int, x: Any) -> float:
    if isinstance(x, str):
        try:
            return float(x)
        except ValueError:
            raise ExprError("E302", f"float() cannot read {x!r} as a number", pos) from None
    return float(_num(x, pos, "float()"))


def _f_abs(pos: int, x: Any) -> Any:
    return abs(_num(x, pos, "abs()"))


#: round()'s digits lie in [-ROUND_DIGITS, ROUND_DIGITS]: past that every int rounds to 0 and every float is itself,
#: and Python's own round() would spend time in proportion to the digits asked for.
ROUND_DIGITS = 30


def _f_round(pos: int, x: Any, nd: Any = None) -> Any:
    v = _num(x, pos, "round()")
    if nd is None:
        return round(v)
    nd = _int(nd, pos, "round()'s digits")
    if not -ROUND_DIGITS <= nd <= ROUND_DIGITS:
        raise ExprError("E302", f"round()'s digits must lie between -{ROUND_DIGITS} and {ROUND_DIGITS}. "
                        f"Received: {nd}", pos)
    return round(v, nd)


def _f_format(pos: int, x: Any, spec: Any) -> str:
    if not isinstance(spec, str) or not re.fullmatch(r"[<>^=]?[+\- ]?0?\d{0,2}(\.\d{1,2})?[bdoxXeEfFgG%s]?", spec):
        raise ExprError("E302", f"format() takes a short format spec like '02d' or '.3f'. Received: {spec!r}", pos)
    try:
        return format(x, spec)
    except (ValueError, TypeError) as e:
        raise ExprError("E302", f"format(): {e}", pos) from None


def _f_make_divisible(pos: int, v: Any, divisor: Any, min_value: Any = None) -> int:
    """MobileNet's channel rounding: ``v`` to the nearest multiple of ``divisor`` (halves up), at least ``min_value``
    (default: ``divisor``), and one ``divisor`` more when rounding would lose over 10% of ``v``."""
    v = _num(v, pos, "make_divisible()")
    d = _int(divisor, pos, "make_divisible()'s divisor")
    low = d if min_value is None else _int(min_value, pos, "make_divisible()'s min_value")
    if d < 1:
        raise ExprError("E302", f"make_divisible()'s divisor must be at least 1. Received: {d}", pos)
    if not (math.isfinite(v) and abs(v) < MAX_INT):
        raise ExprError("E302", f"make_divisible() needs a finite number below 2**63. Received: {short_repr(v, 40)}",
                        pos)
    rounded = max(low, int(v + d / 2) // d * d)
    rounded = rounded + d if rounded < 0.9 * v else rounded
    if abs(rounded) >= MAX_INT:
        raise ExprError("E302", "make_divisible()'s result is not below 2**63", pos)
    return rounded


def _f_zip(pos: int, *xs: Any) -> list:
    for x in xs:
        if not isinstance(x, list):
            raise ExprError("E302", f"zip() needs lists. Received: {type_name(x)}", pos)
        _charge(len(x), pos)
    return [list(t) for t in zip(*xs)]


def _f_enumerate(pos: int, xs: Any) -> list:
    if not isinstance(xs, list):
        raise ExprError("E302", f"enumerate() needs a list. Received: {type_name(xs)}", pos)
    _charge(len(xs), pos)
    return [[i, x] for i, x in enumerate(xs)]


#: The functions expressions may call, with their documentation.
FUNCTIONS: dict[str, tuple[Callable, str]] = {
    "len": (_f_len, "len(xs): length of a list or string"),
    "min": (_f_minmax(min), "min(a, b, ...) or min(xs)"),
    "max": (_f_minmax(max), "max(a, b, ...) or max(xs)"),
    "sum": (_f_sum, "sum(xs): sum of a list of numbers"),
    "range": (_f_range, "range(n), range(a, b), range(a, b, step): a list of integers"),
    "str": (_f_str, "str(x): x as text"),
    "int": (_f_int, "int(x): x as an integer (truncates floats)"),
    "float": (_f_float, "float(x): x as a float"),
    "abs": (_f_abs, "abs(x)"),
    "round": (_f_round, "round(x) or round(x, digits)"),
    "format": (_f_format, "format(x, spec): x formatted with a short spec, e.g. format(i, '02d')"),
    "zip": (_f_zip, "zip(xs, ys, ...): a list of [x, y, ...] lists"),
    "enumerate": (_f_enumerate, "enumerate(xs): a list of [index, x] lists"),
    "make_divisible": (_f_make_divisible, "make_divisible(v, d) or make_divisible(v, d, min_value): v rounded as "
                       "MobileNet rounds channels: to the nearest multiple of d, at least min_value (default d), "
                       "d more if that is over 10% below v"),
}


def _to_text(v: Any) -> str:
    if v is None:
        return "none"
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, list):
        return "[" + ", ".join(repr(x) if isinstance(x, str) else _to_text(x) for x in v) + "]"
    return str(v)


def evaluate(node: Node, env: Mapping[str, Any]) -> Any:
    """Evaluates a syntax tree in ``env``. Raises ExprError with the position of the failing operation."""
    b = _active
    if b is not None:
        b.left -= 1
        if b.left < 0:
            _charge(0, node.pos)
    # The commonest kinds first (each case is one more type test); the leaves, most nodes by far, need no position.
    match node:
        case Var():
            name = node.name
            if name in env:
                return env[name]
            raise _unknown_variable(node, env)
        case Const():
            return node.value
    pos = node.pos
    match node:
        case Binary():
            return _check(_binop(node.op, evaluate(node.left, env), evaluate(node.right, env), pos), pos)
        case Index():
            seq = evaluate(node.target, env)
            idx = evaluate(node.index, env)
            if isinstance(seq, dict):
                if isinstance(idx, (list, dict)):
                    raise ExprError("E302", f"a mapping's key cannot be a {type_name(idx)}. Received: {short_repr(idx, 40)}",
                                    pos)
                if idx not in seq:
                    raise ExprError("E302", f"the mapping has no key {idx!r}", pos)
                return seq[idx]
            if not isinstance(seq, (list, str)):
                raise ExprError("E302", f"only lists, strings and mappings can be indexed. Received: "
                                f"{type_name(seq)}", pos)
            i = _int(idx, pos, "an index")
            if not -len(seq) <= i < len(seq):
                raise ExprError("E302", f"index {i} is out of range for a {type_name(seq)} of length {len(seq)}",
                                pos)
            return seq[i]
        case Attr():
            obj = evaluate(node.target, env)
            key = node.key
            if type(obj) is TensorRef:
                return obj.attribute(key, pos)
            if not isinstance(obj, dict):
                raise ExprError("E302", f"'.{key}' needs a mapping. Received: {type_name(obj)} {short_repr(obj, 40)}", pos,
                                len(key))
            if key not in obj:
                from .diagnostics import did_you_mean
                raise ExprError("E302", f"the mapping has no key '{key}'", pos, len(key),
                                hint=did_you_mean(key, obj) or f"its keys: {', '.join(map(str, obj))}")
            return obj[key]
        case Compare():
            left = evaluate(node.left, env)
            for link in node.links:
                right = evaluate(link.right, env)
                if not _compare(link.op, left, right, link.pos):
                    return False
                left = right
            return True
        case IfExpr():
            return evaluate(node.then, env) if _truth(evaluate(node.cond, env), pos) else evaluate(node.other, env)
        case Call():
            name = node.name
            if name not in FUNCTIONS:
                from .diagnostics import did_you_mean
                raise ExprError("E301", f"unknown function '{name}'", pos, len(name),
                                hint=did_you_mean(name, FUNCTIONS) or "functions: " + ", ".join(sorted(FUNCTIONS)))
            args = []
            for a in node.args:
                args.append(evaluate(a, env))
            fn = FUNCTIONS[name][0]
            try:
                return _check(fn(pos, *args), pos)
            except TypeError:
                raise ExprError("E302", f"wrong number of arguments for {name}(): {FUNCTIONS[name][1]}", pos) from None
            except (ValueError, OverflowError) as e:
                raise ExprError("E302", f"{name}(): {e}", pos) from None
        case BoolOp():
            value = evaluate(node.left, env)
            if node.op == "and":
                return evaluate(node.right, env) if _truth(value, pos) else value
            return value if _truth(value, pos) else evaluate(node.right, env)
        case Not():
            return not _truth(evaluate(node.operand, env), pos)
        case Unary():
            value = _num(evaluate(node.operand, env), pos, node.op)
            return -value if node.op == "-" else value
        case ListExpr():
            items = []
            for n in node.items:
                items.append(evaluate(n, env))
            return _check(items, pos)
        case Slice():
            seq = evaluate(node.target, env)
            if not isinstance(seq, (list, str)):
                raise ExprError("E302", f"only lists and strings can be sliced. Received: {type_name(seq)}", pos)
            start = None if node.lo is None else _int(evaluate(node.lo, env), pos, "a slice bound")
            stop = None if node.hi is None else _int(evaluate(node.hi, env), pos, "a slice bound")
            step = None if node.step is None else _int(evaluate(node.step, env), pos, "a slice step")
            if step == 0:
                raise ExprError("E302", "a slice step must not be zero", pos)
            _charge(len(seq), pos)
            return seq[start:stop:step]
        case ListComp():
            return _check(_comprehension(node, env), pos)
    raise ExprError("E300", f"unknown expression node {type(node).__name__}", pos)  # pragma: no cover


def _comprehension(node: ListComp, env: Mapping[str, Any]) -> list:
    """The items of a list comprehension: its clauses nest left to right, each loop variable bound over ``env`` in a
    scope of the comprehension's own. Every step (an item taken from an iterable) is charged to the work budget;
    the list may not grow past MAX_LEN items."""
    items: list = []
    clauses = node.clauses

    def run(k: int, scope: Mapping[str, Any]) -> None:
        if k == len(clauses):
            if len(items) >= MAX_LEN:
                raise ExprError("E302", f"the comprehension makes more than {MAX_LEN} items", node.pos)
            items.append(evaluate(node.element, scope))
            return
        clause = clauses[k]
        seq = evaluate(clause.iterable, scope)
        if not isinstance(seq, (list, str)):
            raise ExprError("E302", f"a comprehension iterates over a list or a string. Received: {type_name(seq)} "
                            f"{short_repr(seq, 40)}", clause.iterable.pos)
        targets = clause.targets
        for item in seq:
            _charge(1, clause.pos)
            if len(targets) == 1:
                bound: dict[str, Any] = {targets[0]: item}
            elif isinstance(item, list) and len(item) == len(targets):
                bound = dict(zip(targets, item))
            else:
                raise ExprError("E302", f"cannot unpack {type_name(item)} {short_repr(item, 40)} into "
                                f"{len(targets)} names ({', '.join(targets)})", clause.pos, 3)
            inner = ChainMap(bound, scope)  # type: ignore[arg-type]
            if all(_truth(evaluate(c, inner), c.pos) for c in clause.conds):
                run(k + 1, inner)

    run(0, env)
    return items


def free_names(tree: Node) -> Iterator[Var | Call]:
    """The variables and function calls of a syntax tree that its environment must provide: every ``Var`` and
    ``Call`` node except the uses of a comprehension's own loop variables (an iterative walk)."""
    todo: list[tuple[Node, frozenset[str]]] = [(tree, frozenset())]
    while todo:
        node, bound = todo.pop()
        if isinstance(node, Var):
            if node.name not in bound:
                yield node
            continue
        if isinstance(node, Call):
            yield node
        if isinstance(node, ListComp):
            inner = bound
            for clause in node.clauses:
                todo.append((clause.iterable, inner))  # the first iterable sees the outside; later ones, the loops
                inner = inner | set(clause.targets)
                todo.extend((c, inner) for c in clause.conds)
            todo.append((node.element, inner))
            continue
        todo.extend((c, bound) for c in node.children())


@lru_cache(maxsize=8192)
def string_names(s: str) -> tuple[str, ...]:
    """The variable names the expressions of spec string ``s`` read from their environment (none for a plain
    string or one that does not parse: evaluating it reports the error)."""
    try:
        compiled = compile_string(s)
    except ExprError:
        return ()
    if compiled[0] == "lit":
        return ()
    trees = [compiled[1]] if compiled[0] == "expr" else [p[0] for p in compiled[1] if not isinstance(p, str)]
    return tuple(dict.fromkeys(n.name for t in trees for n in free_names(t) if isinstance(n, Var)))


def _unknown_variable(node: Var, env: Mapping[str, Any]) -> ExprError:
    """E301 for ``node``, with the nearest name of ``env`` as the hint (a function of its own: a comprehension over
    ``env`` inside :func:`evaluate` would slow down every call)."""
    from .diagnostics import did_you_mean
    return ExprError("E301", f"unknown variable '{node.name}'", node.pos, len(node.name),
                     hint=did_you_mean(node.name, [k for k in env if not k.startswith("_")]))


def _truth(v: Any, pos: int) -> bool:
    if isinstance(v, (bool, int, float, str, list, dict)) or v is None:
        return bool(v)
    raise ExprError("E302", f"cannot use {type_name(v)} as a condition", pos)  # pragma: no cover


# ---------------------------------------------------------------------------------------------------------------
# Strings in specs: literal, whole expression, or template
# ---------------------------------------------------------------------------------------------------------------

_IDENT = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_WHOLE_VAR = re.compile(r"\$([A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z_][A-Za-z0-9_]*)*)")


@lru_cache(maxsize=8192)
def compile_string(s: str) -> tuple:
    """Classifies a spec string: ``("lit", text)``, ``("expr", ast, offset)`` or ``("tmpl", parts)`` where parts are
    ``str`` or ``(ast, offset)``, each ``ast`` a :class:`Node`. Offsets locate expressions inside ``s`` for error
    positions."""
    if "$" not in s:
        return ("lit", s)
    m = _WHOLE_VAR.fullmatch(s)
    if m:
        if len(s) > MAX_SOURCE:
            raise ExprError("E300", f"expression is longer than {MAX_SOURCE} characters", 0, 1)
        toks, _ = tokenize(s, 1)
        return ("expr", _check_size(_Parser(toks).parse(), 0), 0)
    parts: list = []
    buf = []
    i = 0
    while i < len(s):
        c = s[i]
        if c != "$":
            buf.append(c)
            i += 1
            continue
        nxt = s[i + 1] if i + 1 < len(s) else ""
        if nxt == "$":
            buf.append("$")
            i += 2
            continue
        if nxt == "{":
            toks, end = tokenize(s, i + 2, stop_at_brace=True)
            if end - i - 2 > MAX_SOURCE:
                raise ExprError("E300", f"expression is longer than {MAX_SOURCE} characters", i, 2)
            ast = _check_size(_Parser(toks).parse(), i)
            if buf:
                parts.append("".join(buf))
                buf = []
            parts.append((ast, 0))
            i = end + 1
            continue
        m = _IDENT.match(s, i + 1)
        if m:
            raise ExprError("E300", f"write '${{{m.group()}}}' inside text (or '$$' for a literal '$')", i,
                            m.end() - i)
        raise ExprError("E300", "a '$' must start '${expression}' or '$name' (write '$$' for a literal '$')", i)
    if buf:
        parts.append("".join(buf))
    if len(parts) == 1 and isinstance(parts[0], tuple) and s.startswith("${") and s.endswith("}"):
        return ("expr", parts[0][0], 0)
    return ("tmpl", tuple(parts))


def evaluate_string(s: str, env: Mapping[str, Any]) -> Any:
    """Evaluates one spec string in ``env`` (see the module docstring), within the active work budget (or, outside
    :func:`work_budget`, a budget of its own)."""
    if _active is None:
        with work_budget():
            return evaluate_string(s, env)
    try:
        return _evaluate_string(s, env)
    except RecursionError:  # a safety net: sizes are bounded, but nested data could still be deep
        raise ExprError("E302", "expression is too deeply nested to evaluate", 0) from None


def _evaluate_string(s: str, env: Mapping[str, Any]) -> Any:
    compiled = compile_string(s)
    kind = compiled[0]
    if kind == "lit":
        return compiled[1]
    if kind == "expr":
        return _not_a_tensor(evaluate(compiled[1], env), compiled[1])
    out = []
    for part in compiled[1]:
        if isinstance(part, str):
            out.append(part)
        else:
            value = _not_a_tensor(evaluate(part[0], env), part[0])
            if isinstance(value, (list, dict)):
                _check(value, 0)
            piece = value if type(value) is str else _to_text(value)
            _charge(len(piece), 0)
            out.append(piece)
    text = "".join(out)
    if len(text) > MAX_LEN:
        raise ExprError("E302", f"result is longer than {MAX_LEN} characters", 0)
    return text


def _not_a_tensor(value: Any, tree: Node) -> Any:
    """A spec value is data: a tensor itself (``${x}``) is refused, with what to read from it."""
    if type(value) is TensorRef:
        raise ExprError("E302", f"'{value.name}' is a tensor, not a value", tree.pos,
                        hint=f"read its static type: {value.name}.shape, {value.name}.shape[-1], {value.name}.rank; "
                             f"wire tensors with inputs: [...]")
    return value


def evaluate_data(value: Any, env: Mapping[str, Any]) -> Any:
    """Evaluates every string inside plain data (lists and dicts are walked)."""
    if isinstance(value, str):
        return evaluate_string(value, env)
    if isinstance(value, list):
        return [evaluate_data(v, env) for v in value]
    if isinstance(value, dict):
        return {k: evaluate_data(v, env) for k, v in value.items()}
    return value
