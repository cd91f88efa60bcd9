"""``--where`` filters and ``--sort`` keys: compiled to SQL over the index, or to Python.

A filter is a Python-like boolean expression over dotted record keys:
``metrics.accuracy >= 0.9 and params.lr < 0.5``, ``name == 'baseline' or 'best' in tags``,
``not exit_code``, ``params["my-key"] == 3``. Only comparisons, ``and``/``or``/``not``,
``in``, literals (numbers, strings, ``True``/``False``/``None``, lists) and record keys
are allowed; nothing is evaluated as code. A bare word that is not a record key is read
as a string (``name == baseline``). A missing key compares false and is false on its
own. Values of different kinds never order (``metrics.loss > 0.5`` is false for a text
value); a non-finite metric is stored as the string ``"NaN"``/``"Infinity"``/
``"-Infinity"`` (``metrics.loss == 'NaN'`` finds them). Sorting puts numbers first,
then other values, then non-finite ones, then runs without the key.

The same expression compiles to SQL for the derived SQLite index
(:func:`where_sql`, :func:`order_sql`: every value a bound parameter, every key a JSON
path parameter over a fixed column) and to a Python predicate over record dicts
(:func:`compile_where`, :func:`sort_runs`), with the same meaning.
"""

from __future__ import annotations

import ast
import math
import operator
from collections.abc import Callable

from gitops_ml.core.errors import UsageError
from gitops_ml.core.record import KEYS

TYPE_CHECKING = False  # typing costs ~7 ms to import: only for the type checker
if TYPE_CHECKING:
    from typing import Any

MAX_LENGTH = 10_000  # characters of a --where expression
MAX_DEPTH = 64  # nesting of a --where expression
MAX_NODES = 2_000  # syntax nodes of a --where expression

_MISSING = object()
_ROOTS = {*KEYS, "notes", "status"}  # record keys, plus what `runs ls` derives
NON_FINITE = ("NaN", "Infinity", "-Infinity")


# ---------------------------------------------------------------- parsing


def _parse(text: str) -> ast.expr:
    """The expression's syntax tree, size-checked (a usage error when malformed)."""
    if len(text) > MAX_LENGTH:
        raise UsageError(f"--where: expression too long (over {MAX_LENGTH:,} characters)")
    try:
        tree = ast.parse(text.strip(), mode="eval")
    except SyntaxError as exc:
        raise UsageError(f"--where {text!r}: not a valid expression ({exc.msg})") from None
    except (RecursionError, MemoryError, ValueError):
        raise UsageError(
            f"--where: expression too deeply nested or not text (at most {MAX_DEPTH} levels)"
        ) from None
    if sum(1 for _ in ast.walk(tree)) > MAX_NODES:
        raise UsageError(f"--where: expression too complex (over {MAX_NODES:,} parts)")
    return tree.body


def _bad(text: str, why: str) -> UsageError:
    return UsageError(f"--where {text[:200]!r}: {why}")


def _key_of(node: ast.expr) -> str | None:
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        base = _key_of(node.value)
        return f"{base}.{node.attr}" if base else None
    if isinstance(node, ast.Subscript) and isinstance(node.slice, ast.Constant):
        if not isinstance(node.slice.value, str | int) or isinstance(node.slice.value, bool):
            return None
        base = _key_of(node.value)
        return f"{base}.{node.slice.value!s}" if base else None
    return None


def _constant(node: ast.expr, text: str) -> tuple[bool, Any]:
    """``(True, value)`` when ``node`` is a literal we accept, else ``(False, None)``."""
    if isinstance(node, ast.Constant):
        value = node.value
        if value is None or isinstance(value, bool | int | float | str):
            return True, value
        raise _bad(text, f"{type(value).__name__} literals are not allowed")
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub | ast.UAdd):
        ok, value = (
            _constant(node.operand, text)
            if isinstance(node.operand, ast.Constant | ast.UnaryOp)
            else (False, None)
        )
        if not ok or isinstance(value, bool) or not isinstance(value, int | float):
            raise _bad(text, "a sign applies to numbers only")
        return True, -value if isinstance(node.op, ast.USub) else value
    return False, None


# ---------------------------------------------------------------- Python predicates


def lookup(rec: dict[str, Any], dotted: str) -> Any:
    """The value at a dotted key; params and metrics keys may themselves contain dots."""
    head, _, rest = dotted.partition(".")
    node: Any = rec.get(head, _MISSING)
    if not rest or node is _MISSING:
        return node
    if isinstance(node, dict) and rest in node:
        return node[rest]
    for part in rest.split("."):
        if isinstance(node, dict) and part in node:
            node = node[part]
        else:
            return _MISSING
    return node


def _kind(value: Any) -> str | None:
    """'n' number (bools included), 't' text, 'j' list/object, 'z' null; None if missing."""
    if value is _MISSING:
        return None
    if value is None:
        return "z"
    if isinstance(value, float) and not math.isfinite(value):
        return "t"  # non-finite values behave as the strings they are written as
    if isinstance(value, bool | int | float):
        return "n"
    if isinstance(value, str):
        return "t"
    return "j"


def _plain(value: Any) -> Any:
    if isinstance(value, float) and not math.isfinite(value):
        return "NaN" if math.isnan(value) else ("Infinity" if value > 0 else "-Infinity")
    return value


def _truthy(value: Any) -> bool:
    return value is not _MISSING and bool(value)


def _eq(a: Any, b: Any) -> bool:
    ka, kb = _kind(a), _kind(b)
    return ka is not None and ka == kb and bool(_plain(a) == _plain(b))


def _member(a: Any, b: Any) -> bool:
    kb = _kind(b)
    if kb == "t":
        return _kind(a) == "t" and _plain(a) in _plain(b)
    if isinstance(b, dict):
        return isinstance(a, str) and a in b
    if isinstance(b, list):
        return any(_eq(a, item) for item in b)
    return False


_ORDER: dict[type[ast.cmpop], Callable[[Any, Any], bool]] = {
    ast.Lt: operator.lt,
    ast.LtE: operator.le,
    ast.Gt: operator.gt,
    ast.GtE: operator.ge,
}


_PAIRS: dict[type[ast.cmpop], Callable[[Any, Any], bool]] = {
    ast.Eq: _eq,
    ast.NotEq: lambda a, b: not _eq(a, b),
    ast.In: _member,
    ast.NotIn: lambda a, b: not _member(a, b),
}


def _pair(op: ast.cmpop, a: Any, b: Any) -> bool:
    if a is _MISSING or b is _MISSING:
        return False
    handler = _PAIRS.get(type(op))
    if handler is not None:
        return handler(a, b)
    kind = _kind(a)
    return kind in ("n", "t") and kind == _kind(b) and bool(_ORDER[type(op)](_plain(a), _plain(b)))


if TYPE_CHECKING:
    Pred = Callable[[dict[str, Any]], Any]

_OPS = (ast.Eq, ast.NotEq, ast.Lt, ast.LtE, ast.Gt, ast.GtE, ast.In, ast.NotIn)


def _py(node: ast.expr, text: str, depth: int = 0) -> Pred:
    if depth > MAX_DEPTH:
        raise _bad(text, f"nested too deeply (at most {MAX_DEPTH} levels)")
    d = depth + 1
    if isinstance(node, ast.BoolOp):
        parts = [_py(v, text, d) for v in node.values]
        if isinstance(node.op, ast.And):
            return lambda r: all(_truthy(p(r)) for p in parts)
        return lambda r: any(_truthy(p(r)) for p in parts)
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.Not):
        inner = _py(node.operand, text, d)
        return lambda r: not _truthy(inner(r))
    if isinstance(node, ast.Compare):
        return _py_compare(node, text, d)
    return _py_value(node, text, d)


def _py_compare(node: ast.Compare, text: str, depth: int) -> Pred:
    if not all(isinstance(o, _OPS) for o in node.ops):
        raise _bad(text, "unsupported comparison")
    left = _py(node.left, text, depth)
    rights = [_py(c, text, depth) for c in node.comparators]
    ops = list(node.ops)

    def compare(r: dict[str, Any]) -> bool:
        a = left(r)
        for op, right in zip(ops, rights, strict=True):
            b = right(r)
            if not _pair(op, a, b):
                return False
            a = b
        return True

    return compare


def _py_value(node: ast.expr, text: str, depth: int) -> Pred:
    ok, value = _constant(node, text)
    if ok:
        return lambda r: value
    if isinstance(node, ast.List | ast.Tuple):
        items = [_py(e, text, depth) for e in node.elts]
        return lambda r: [i(r) for i in items]
    key = _key_of(node)
    if key is None:
        raise _bad(text, "only comparisons of record keys and values are allowed")
    if key.split(".", 1)[0] in _ROOTS:
        return lambda r: lookup(r, key)
    return lambda r: key


def compile_where(text: str) -> Pred:
    """Compile a ``--where`` expression into a Python predicate over record dicts."""
    pred = _py(_parse(text), text)
    return lambda r: _truthy(pred(r))


def _sort_rank(value: Any) -> int:
    kind = _kind(value)
    if kind is None or kind == "z":
        return 3
    if kind == "t" and _plain(value) in NON_FINITE:
        return 2
    return 0 if kind == "n" else 1


def sort_runs(runs: list[dict[str, Any]], key: str) -> list[dict[str, Any]]:
    """Sort by a dotted key; ``-key`` descending; non-finite values, then missing ones, last."""
    desc = key.startswith("-")
    name = key.lstrip("-+")
    groups: dict[int, list[dict[str, Any]]] = {0: [], 1: [], 2: [], 3: []}
    for r in runs:
        groups[_sort_rank(lookup(r, name))].append(r)
    groups[0].sort(key=lambda r: lookup(r, name), reverse=desc)
    groups[1].sort(key=lambda r: str(lookup(r, name)), reverse=desc)
    return groups[0] + groups[1] + groups[2] + groups[3]


# ---------------------------------------------------------------- SQL


class Sql:
    """A piece of SQL and its named parameters (``:p0``, ``:p1``...)."""

    __slots__ = ("params", "text")

    def __init__(self, text: str, params: dict[str, Any] | None = None) -> None:
        self.text = text
        self.params = params or {}


# Columns of the index's ``runs`` table, by record root: (column, is JSON).
COLUMNS = {
    "id": ("r.id", False),
    "name": ("r.name", False),
    "started": ("r.started", False),
    "exit_code": ("r.exit_code", False),
    "status": ("r.status", False),
    "params": ("r.params", True),
    "metrics": ("r.metrics", True),
    "tags": ("r.tags", True),
}
TEXT_COLUMN = "t.out"  # the whole record as ``runs ls --json`` prints it

_KIND_OF_TYPE = (
    "(CASE {t} WHEN 'integer' THEN 'n' WHEN 'real' THEN 'n' WHEN 'true' THEN 'n' "
    "WHEN 'false' THEN 'n' WHEN 'text' THEN 't' WHEN 'null' THEN 'z' "
    "WHEN 'array' THEN 'j' WHEN 'object' THEN 'j' END)"
)


class _Val:
    """An operand: SQL for its value and for its kind ('n','t','j','z'; NULL if missing).

    ``source`` is SQL yielding its JSON text, for ``json_each`` (lists, objects).
    """

    __slots__ = ("kind", "source", "value")

    def __init__(self, value: str, kind: str, source: str | None = None) -> None:
        self.value = value
        self.kind = kind
        self.source = source


def _json_path(part: str) -> str | None:
    # SQLite's JSON paths quote a label with double quotes and know no escapes: a key
    # holding a double quote cannot be named, and so never matches.
    return None if '"' in part else '."' + part + '"'


class _Compiler:
    def __init__(self, text: str = "", prefix: str = "w") -> None:
        self.text = text
        self.prefix = prefix
        self.params: dict[str, Any] = {}

    def bind(self, value: Any) -> str:
        name = f"{self.prefix}{len(self.params)}"
        self.params[name] = value
        return f":{name}"

    def key(self, key: str) -> _Val:
        head, _, rest = key.partition(".")
        col, is_json = COLUMNS.get(head, (TEXT_COLUMN, True))
        if col == TEXT_COLUMN:  # a root kept only in the full text
            rest = key
        if not is_json:
            if rest:  # a scalar column has no sub-keys
                return _Val("NULL", "NULL")
            kind = (
                f"(CASE WHEN {col} IS NULL THEN NULL "
                f"WHEN typeof({col}) = 'text' THEN 't' ELSE 'n' END)"
            )
            return _Val(col, kind)
        if not rest:
            return _Val(col, _KIND_OF_TYPE.format(t=f"json_type({col})"), col)
        paths = [_json_path(rest)]
        if "." in rest:
            parts = [_json_path(p) for p in rest.split(".")]
            paths.append(None if None in parts else "".join(p or "" for p in parts))
        if paths[0] is None:
            return _Val("NULL", "NULL")
        whole = self.bind("$" + paths[0])
        if len(paths) == 1 or paths[1] is None:
            value = f"json_extract({col}, {whole})"
            return _Val(value, _KIND_OF_TYPE.format(t=f"json_type({col}, {whole})"), value)
        nested = self.bind("$" + paths[1])
        pick = f"json_type({col}, {whole}) IS NOT NULL"
        value = (
            f"(CASE WHEN {pick} THEN json_extract({col}, {whole}) "
            f"ELSE json_extract({col}, {nested}) END)"
        )
        typ = (
            f"(CASE WHEN {pick} THEN json_type({col}, {whole}) ELSE json_type({col}, {nested}) END)"
        )
        return _Val(value, _KIND_OF_TYPE.format(t=typ), value)

    def literal(self, value: Any) -> _Val:
        if value is None:
            return _Val("NULL", "'z'")
        value = _plain(value)
        kind = "'t'" if isinstance(value, str) else "'n'"
        return _Val(self.bind(int(value) if isinstance(value, bool) else value), kind)

    def value(self, node: ast.expr, depth: int) -> _Val:
        ok, lit = _constant(node, self.text)
        if ok:
            return self.literal(lit)
        key = _key_of(node)
        if key is not None:
            if key.split(".", 1)[0] in _ROOTS:
                return self.key(key)
            return self.literal(key)
        if isinstance(node, ast.BoolOp | ast.Compare) or (
            isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.Not)
        ):
            return _Val(self.truth(node, depth), "'n'")
        if isinstance(node, ast.List | ast.Tuple):
            raise _bad(self.text, "a list goes on the right of 'in'")
        raise _bad(self.text, "only comparisons of record keys and values are allowed")

    def truth(self, node: ast.expr, depth: int) -> str:
        """SQL that is 1 where ``node`` is true (missing values are false), else 0."""
        if depth > MAX_DEPTH:
            raise _bad(self.text, f"nested too deeply (at most {MAX_DEPTH} levels)")
        d = depth + 1
        if isinstance(node, ast.BoolOp):
            joiner = " AND " if isinstance(node.op, ast.And) else " OR "
            return "(" + joiner.join(self.truth(v, d) for v in node.values) + ")"
        if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.Not):
            return f"(NOT {self.truth(node.operand, d)})"
        if isinstance(node, ast.Compare):
            return self.compare(node, d)
        if isinstance(node, ast.List | ast.Tuple):
            return "1" if node.elts else "0"
        v = self.value(node, d)
        return (
            f"coalesce(CASE {v.kind} WHEN 'n' THEN {v.value} != 0 WHEN 't' THEN {v.value} != '' "
            f"WHEN 'j' THEN {v.value} NOT IN ('[]', '{{}}') ELSE 0 END, 0)"
        )

    def compare(self, node: ast.Compare, depth: int) -> str:
        if not all(isinstance(o, _OPS) for o in node.ops):
            raise _bad(self.text, "unsupported comparison")
        parts = []
        left: ast.expr = node.left
        for op, right in zip(node.ops, node.comparators, strict=True):
            parts.append(self.pair(op, left, right, depth))
            left = right
        return "(" + " AND ".join(parts) + ")"

    def present(self, node: ast.expr, depth: int) -> str:
        if isinstance(node, ast.List | ast.Tuple):
            return "1"
        return f"({self.value(node, depth).kind} IS NOT NULL)"

    def pair(self, op: ast.cmpop, left: ast.expr, right: ast.expr, depth: int) -> str:
        if isinstance(op, ast.In):
            return self.member(left, right, depth)
        if isinstance(op, ast.NotIn):
            inner = self.member(left, right, depth)
            a_present = self.present(left, depth)
            return f"({a_present} AND {self.present(right, depth)} AND NOT {inner})"
        if isinstance(right, ast.List | ast.Tuple) or isinstance(left, ast.List | ast.Tuple):
            raise _bad(self.text, "a list goes on the right of 'in'")
        a, b = self.value(left, depth), self.value(right, depth)
        sym = {ast.Lt: "<", ast.LtE: "<=", ast.Gt: ">", ast.GtE: ">=", ast.Eq: "="}.get(type(op))
        if sym is not None and (a.kind == "'n'") != (b.kind == "'n'"):
            # Against a number: one typeof() instead of json_type() calls (the hot case,
            # `metrics.x > 0.9`). JSON true/false extract as 1/0, as bools are numbers here.
            other = b if a.kind == "'n'" else a
            return (
                f"coalesce(typeof({other.value}) IN ('integer', 'real') "
                f"AND {a.value} {sym} {b.value}, 0)"
            )
        if isinstance(op, ast.Eq | ast.NotEq):
            eq = f"coalesce({a.kind} = {b.kind} AND ({a.kind} = 'z' OR {a.value} = {b.value}), 0)"
            if isinstance(op, ast.Eq):
                return eq
            return f"({a.kind} IS NOT NULL AND {b.kind} IS NOT NULL AND NOT {eq})"
        sym = {ast.Lt: "<", ast.LtE: "<=", ast.Gt: ">", ast.GtE: ">="}[type(op)]
        return (
            f"coalesce({a.kind} = {b.kind} AND {a.kind} IN ('n', 't') "
            f"AND {a.value} {sym} {b.value}, 0)"
        )

    def member(self, left: ast.expr, right: ast.expr, depth: int) -> str:
        if isinstance(left, ast.List | ast.Tuple):
            raise _bad(self.text, "a list goes on the right of 'in'")
        if isinstance(right, ast.List | ast.Tuple):
            if not right.elts:
                return "0"
            return "(" + " OR ".join(self.pair(ast.Eq(), left, e, depth) for e in right.elts) + ")"
        a, b = self.value(left, depth), self.value(right, depth)
        text_in = f"({b.kind} = 't' AND {a.kind} = 't' AND instr({b.value}, {a.value}) > 0)"
        if b.source is None:
            return f"coalesce({text_in}, 0)"
        src = b.source
        each = (
            f"EXISTS (SELECT 1 FROM json_each({src}) AS je WHERE CASE json_type({src}) "
            f"WHEN 'object' THEN ({a.kind} = 't' AND je.key = {a.value}) "
            f"ELSE (je.value = {a.value} AND {_KIND_OF_TYPE.format(t='je.type')} = {a.kind}) END)"
        )
        return f"coalesce({text_in} OR ({b.kind} = 'j' AND {each}), 0)"


def where_sql(text: str) -> Sql:
    """SQL (a boolean over ``runs AS r`` and ``texts AS t``) for a ``--where`` expression."""
    compiler = _Compiler(text)
    return Sql(compiler.truth(_parse(text), 0), compiler.params)


def sort_key(key: str) -> tuple[str, bool]:
    """``(dotted key, descending)`` for ``--sort [-]KEY`` (a usage error if not a record key)."""
    name = key.lstrip("-+")
    if not name or len(name) > 500 or name.split(".", 1)[0] not in _ROOTS:
        raise UsageError(f"--sort {key!r}: not a record key (e.g. -metrics.accuracy, started)")
    return name, key.startswith("-")


def order_sql(key: str) -> Sql:
    """``ORDER BY`` terms for ``--sort [-]KEY``: numbers, other values, non-finite, missing."""
    name, desc = sort_key(key)
    compiler = _Compiler(prefix="s")
    v = compiler.key(name)
    rank = (
        f"(CASE {v.kind} WHEN 'n' THEN 0 WHEN 't' THEN "
        f"(CASE WHEN {v.value} IN ('NaN', 'Infinity', '-Infinity') THEN 2 ELSE 1 END) "
        f"WHEN 'j' THEN 1 ELSE 3 END)"
    )
    return Sql(f"{rank}, {v.value} {'DESC' if desc else 'ASC'}", compiler.params)


def uses_text(sql: Sql) -> bool:
    """Whether the SQL reads the full record text (so the query must join ``texts``)."""
    return TEXT_COLUMN in sql.text
