"""``--where`` filters and ``--sort`` keys over run records.

A filter is a Python-like boolean expression over dotted record keys:
``metrics.accuracy >= 0.9 and params.lr < 0.5``, ``name == 'baseline' or 'best' in tags``,
``not exit_code``, ``params["my-key"] == 3``. Only comparisons, ``and``/``or``/``not``,
``in``, literals and record keys are allowed; nothing is evaluated as code. A bare word
that is not a record key is read as a string (``name == baseline``). A missing key
compares false.
"""

from __future__ import annotations

import ast
import operator
from collections.abc import Callable

from gitops_ml.core.errors import UsageError
from gitops_ml.core.record import KEYS

TYPE_CHECKING = False  # typing costs ~7 ms to import: only for the type checker
if TYPE_CHECKING:
    from typing import Any

_MISSING = object()
_ROOTS = {*KEYS, "notes", "status"}  # record keys, plus what `runs ls` derives
_CMP: dict[type[ast.cmpop], Callable[[Any, Any], bool]] = {
    ast.Eq: operator.eq,
    ast.NotEq: operator.ne,
    ast.Lt: operator.lt,
    ast.LtE: operator.le,
    ast.Gt: operator.gt,
    ast.GtE: operator.ge,
    ast.In: lambda a, b: a in b,
    ast.NotIn: lambda a, b: a not in b,
}


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


def _key_of(node: ast.expr) -> str | None:
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        base = _key_of(node.value)
        return f"{base}.{node.attr}" if base else None
    if isinstance(node, ast.Subscript) and isinstance(node.slice, ast.Constant):
        base = _key_of(node.value)
        return f"{base}.{node.slice.value!s}" if base else None
    return None


if TYPE_CHECKING:
    Pred = Callable[[dict[str, Any]], Any]


def _compile(node: ast.expr, text: str) -> Pred:
    if isinstance(node, ast.BoolOp):
        parts = [_compile(v, text) for v in node.values]
        if isinstance(node.op, ast.And):
            return lambda r: all(p(r) for p in parts)
        return lambda r: any(p(r) for p in parts)
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.Not):
        inner = _compile(node.operand, text)
        return lambda r: not inner(r)
    if (
        isinstance(node, ast.UnaryOp)
        and isinstance(node.op, ast.USub)
        and isinstance(node.operand, ast.Constant)
    ):
        value = -node.operand.value  # type: ignore[operator]
        return lambda r: value
    if isinstance(node, ast.Compare):
        left = _compile(node.left, text)
        rights = [_compile(c, text) for c in node.comparators]
        ops = [_CMP.get(type(o)) for o in node.ops]
        if any(o is None for o in ops):
            raise UsageError(f"--where {text!r}: unsupported comparison")

        def compare(r: dict[str, Any]) -> bool:
            a = left(r)
            for op, right in zip(ops, rights, strict=True):
                b = right(r)
                if a is _MISSING or b is _MISSING:
                    return False
                try:
                    if not op(a, b):  # type: ignore[misc]
                        return False
                except TypeError:
                    return False
                a = b
            return True

        return compare
    if isinstance(node, ast.Constant):
        value = node.value
        return lambda r: value
    if isinstance(node, ast.List | ast.Tuple):
        items = [_compile(e, text) for e in node.elts]
        return lambda r: [i(r) for i in items]
    key = _key_of(node)
    if key is not None:
        if key.split(".", 1)[0] in _ROOTS:
            return lambda r: lookup(r, key)
        return lambda r: key
    raise UsageError(f"--where {text!r}: only comparisons of record keys and values are allowed")


def compile_where(text: str) -> Pred:
    """Compile a ``--where`` expression into a predicate (usage error when malformed)."""
    try:
        tree = ast.parse(text.strip(), mode="eval")
    except SyntaxError as exc:
        raise UsageError(f"--where {text!r}: not a valid expression ({exc.msg})") from None
    pred = _compile(tree.body, text)
    return lambda r: bool(pred(r)) if pred(r) is not _MISSING else False


def sort_runs(runs: list[dict[str, Any]], key: str) -> list[dict[str, Any]]:
    """Sort by a dotted key; ``-key`` descending; runs missing the key go last."""
    desc = key.startswith("-")
    name = key.lstrip("-+")
    present = [r for r in runs if lookup(r, name) not in (_MISSING, None)]
    missing = [r for r in runs if lookup(r, name) in (_MISSING, None)]
    try:
        present.sort(key=lambda r: lookup(r, name), reverse=desc)
    except TypeError:
        present.sort(key=lambda r: str(lookup(r, name)), reverse=desc)
    return present + missing
