"""The one YAML loader for files a user or a teammate wrote (config, params, metrics).

Plain data only: mappings, sequences, strings, numbers, booleans and null. Refused, each
as one :class:`YamlProblem` ``FILE:LINE: what`` (exit 2):

- tags that build anything else (``!!python/name:os.system``, ``!!binary``, ``!!set``);
- keys that are mappings or sequences (unhashable) and duplicate keys;
- aliases that expand beyond :data:`MAX_NODES` nodes (an alias bomb) or refer to
  themselves (recursive);
- ``.inf`` and ``.nan`` (when ``finite``: records are strict JSON);
- nesting deeper than :data:`MAX_DEPTH`.

Dates stay the text they were written as (``2001-01-01``), so what is loaded is always
JSON-serialisable. PyYAML is imported only when a file is actually parsed.
"""

from __future__ import annotations

from gitops_ml.core.errors import UsageError

TYPE_CHECKING = False  # typing costs ~7 ms to import: only for the type checker
if TYPE_CHECKING:
    from typing import Any, ClassVar

MAX_NODES = 200_000
MAX_DEPTH = 200

_T = "tag:yaml.org,2002:"
_SCALARS = {f"{_T}{t}" for t in ("str", "int", "float", "bool", "null", "timestamp", "merge")}
_ALLOWED = _SCALARS | {f"{_T}map", f"{_T}seq"}
_LOADER: dict[str, Any] = {}


class YamlProblem(UsageError):
    """A file that is not plain, safe YAML: ``line`` (1-based) and ``what``."""

    def __init__(self, shown: str, line: int, what: str, *, syntax: bool = False) -> None:
        super().__init__(f"{shown}:{line}: {what}")
        self.line = line
        self.what = what
        self.syntax = syntax  # not YAML at all (as opposed to YAML that is refused)


def _loader() -> Any:
    """A SafeLoader (the C one when available) that reads dates as text."""
    if "loader" not in _LOADER:
        import yaml

        base = getattr(yaml, "CSafeLoader", yaml.SafeLoader)

        class Loader(base):  # type: ignore[valid-type,misc]
            yaml_implicit_resolvers: ClassVar[dict[str, Any]] = {
                first: [(tag, rx) for tag, rx in rules if tag != f"{_T}timestamp"]
                for first, rules in base.yaml_implicit_resolvers.items()
            }

        Loader.add_constructor(f"{_T}timestamp", lambda loader, node: str(node.value))
        _LOADER["loader"] = Loader
    return _LOADER["loader"]


def _line(node: Any) -> int:
    return int(node.start_mark.line) + 1


def _bad_tag(node: Any, shown: str) -> YamlProblem:
    tag = str(node.tag)
    shown_tag = "!!" + tag[len(_T) :] if tag.startswith(_T) else tag
    return YamlProblem(shown, _line(node), f"the tag {shown_tag} is not allowed (plain data only)")


def _check_scalar(node: Any, shown: str, finite: bool) -> None:
    if node.tag not in _SCALARS:
        raise _bad_tag(node, shown)
    if finite and node.tag == f"{_T}float":
        text = str(node.value).lower().lstrip("+-")
        if text in (".inf", ".nan"):
            raise YamlProblem(shown, _line(node), f"{node.value} is not a finite number")


class _Walk:
    """One iterative walk of a node graph (see :func:`check`)."""

    def __init__(self, shown: str, finite: bool) -> None:
        import yaml

        self.yaml = yaml
        self.shown = shown
        self.finite = finite
        self.sizes: dict[int, int] = {}
        self.active: set[int] = set()
        # (node, depth, children pushed?, the keys leading to it)
        self.stack: list[tuple[Any, int, bool, str]] = []

    def run(self, root: Any) -> None:
        self.stack.append((root, 1, False, ""))
        while self.stack:
            node, depth, expanded, where = self.stack.pop()
            if expanded:
                self._finish(node)
            elif id(node) not in self.sizes:
                self._enter(node, depth, where)

    def _finish(self, node: Any) -> None:
        """All children are counted: the node's expanded size."""
        key = id(node)
        self.active.discard(key)
        if isinstance(node, self.yaml.MappingNode):
            children = [n for pair in node.value for n in pair]
        else:
            children = list(node.value)
        self.sizes[key] = 1 + sum(self.sizes[id(c)] for c in children)
        if self.sizes[key] > MAX_NODES:
            raise YamlProblem(
                self.shown,
                _line(node),
                f"aliases expand to more than {MAX_NODES} values (an alias bomb?)",
            )

    def _enter(self, node: Any, depth: int, where: str) -> None:
        key = id(node)
        if key in self.active:
            raise YamlProblem(self.shown, _line(node), "an alias refers to itself (recursive)")
        if depth > MAX_DEPTH:
            raise YamlProblem(self.shown, _line(node), f"nested deeper than {MAX_DEPTH} levels")
        if isinstance(node, self.yaml.ScalarNode):
            _check_scalar(node, self.shown, self.finite)
            self.sizes[key] = 1
            return
        if node.tag not in _ALLOWED:
            raise _bad_tag(node, self.shown)
        self.active.add(key)
        self.stack.append((node, depth, True, where))
        if isinstance(node, self.yaml.MappingNode):
            self._enter_mapping(node, depth, where)
        else:
            self.stack.extend((child, depth + 1, False, where) for child in node.value)

    def _enter_mapping(self, node: Any, depth: int, where: str) -> None:
        seen: set[tuple[str, str]] = set()
        for knode, vnode in node.value:
            if not isinstance(knode, self.yaml.ScalarNode):
                raise YamlProblem(
                    self.shown, _line(knode), "a key must be a plain value, not a list or mapping"
                )
            if knode.tag != f"{_T}merge":
                ident = (knode.tag, str(knode.value))
                if ident in seen:
                    raise YamlProblem(
                        self.shown, _line(knode), f"duplicate key '{where}{knode.value}'"
                    )
                seen.add(ident)
            self.stack.append((knode, depth + 1, False, where))
            self.stack.append((vnode, depth + 1, False, f"{where}{knode.value}."))


def check(root: Any, shown: str, *, finite: bool = True) -> None:
    """Refuse what :func:`load` refuses, on an already composed node tree.

    Walks the node graph once (iteratively), counting the nodes aliases would expand to.
    """
    _Walk(shown, finite).run(root)


def _problem(exc: Exception, shown: str) -> YamlProblem:
    mark = getattr(exc, "problem_mark", None) or getattr(exc, "context_mark", None)
    line = int(mark.line) + 1 if mark is not None else 1
    what = getattr(exc, "problem", None) or str(exc).splitlines()[0]
    return YamlProblem(shown, line, f"not valid YAML: {what}", syntax=True)


def compose(text: str, shown: str, *, finite: bool = True) -> Any:
    """The checked node tree of ``text`` (None for an empty document)."""
    import yaml

    try:
        root = yaml.compose(text, Loader=_loader())
    except yaml.YAMLError as exc:
        raise _problem(exc, shown) from None
    except RecursionError:
        raise YamlProblem(shown, 1, f"nested deeper than {MAX_DEPTH} levels") from None
    if root is not None:
        check(root, shown, finite=finite)
    return root


def construct(root: Any, shown: str) -> Any:
    """The Python data of a node tree from :func:`compose`."""
    import yaml

    if root is None:
        return None
    loader = _loader()("")
    try:
        return loader.construct_document(root)
    except (yaml.YAMLError, TypeError, ValueError) as exc:
        # e.g. a merge key whose value is not a mapping
        raise _problem(exc, shown) from None
    finally:
        loader.dispose()


def load(text: str, shown: str, *, finite: bool = True) -> Any:
    """Parse ``text`` (from the file shown as ``shown`` in messages) as plain data."""
    return construct(compose(text, shown, finite=finite), shown)
