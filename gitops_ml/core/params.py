"""Params files: reading them, applying ``-p KEY=VALUE`` overrides, writing them back."""

from __future__ import annotations

import json
import math
import re
from pathlib import Path

from gitops_ml.core.errors import UsageError

TYPE_CHECKING = False  # typing costs ~7 ms to import: only for the type checker
if TYPE_CHECKING:
    from typing import Any

_EXPONENT = re.compile(r"^[-+]?(\d+\.?\d*|\.\d+)[eE][-+]?\d+$")


def parse_value(text: str) -> Any:
    """A ``-p`` value as YAML would read it: ``0.1`` a float, ``true`` a bool, else text
    (dates stay text; ``.inf``, ``.nan`` and tags are refused: see core.safeyaml)."""
    from gitops_ml.core import safeyaml

    try:
        value = safeyaml.load(text, "-p value")
    except safeyaml.YamlProblem as exc:
        if exc.syntax:
            return text
        raise UsageError(f"-p value {text!r}: {exc.what}") from None
    if isinstance(value, str) and _EXPONENT.match(text.strip()):
        return float(text)  # YAML 1.1 reads 1e-3 (no dot) as text; people mean a number
    if value is None:
        return None if text.strip() in ("null", "~") else text
    if not isinstance(value, str | int | float | bool):
        return text  # a list, a mapping, a date: kept as the text typed
    if isinstance(value, float) and not math.isfinite(value):
        return text  # .nan and .inf are not numbers a params file can hold in JSON
    return value


def parse_assignment(item: str) -> tuple[str, Any]:
    """``-p KEY=VALUE`` as (key, value); a key may start with ``+`` (add a new key)."""
    key, sep, value = item.partition("=")
    if not sep or not key.strip().lstrip("+"):
        raise UsageError(f"-p {item!r}: expected KEY=VALUE")
    return key.strip(), parse_value(value)


def _is_json(path: str) -> bool:
    return path.lower().endswith(".json")


def load_file(path: Path, shown: str, root: Path | None = None) -> dict[str, Any]:
    """Read one params/metrics file (YAML or JSON) as a mapping; errors name the file.

    With ``root`` (the repository's work tree), an unchanged file is taken from the
    parse cache (:mod:`gitops_ml.core.parsecache`) instead of being parsed again.
    """
    cache = None
    if root is not None:
        from gitops_ml.core.parsecache import for_root

        cache = for_root(root)
        hit = cache.get(path)
        if hit is not None:
            return hit
    try:
        st = path.stat()
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return {}
    except (OSError, UnicodeDecodeError) as exc:
        raise UsageError(f"{shown}: cannot read: {exc}") from None
    data = parse_text(text, shown)
    if cache is not None:
        cache.put(path, st, data)
    return data


def _no_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a finite number (records are strict JSON)")


def parse_text(text: str, shown: str) -> dict[str, Any]:
    if _is_json(shown):
        try:
            data = json.loads(text, parse_constant=_no_constant) if text.strip() else {}
        except json.JSONDecodeError as exc:
            raise UsageError(f"{shown}:{exc.lineno}: not valid JSON: {exc.msg}") from None
        except RecursionError:
            raise UsageError(f"{shown}: nested too deeply") from None
        except ValueError as exc:
            raise UsageError(f"{shown}: {exc}") from None
    else:
        from gitops_ml.core import safeyaml

        data = safeyaml.load(text, shown)
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise UsageError(f"{shown}: must hold a mapping of names to values")
    return data


def flatten(data: dict[str, Any], prefix: str = "") -> dict[str, Any]:
    """Nested mappings as dotted keys: ``{"a": {"b": 1}}`` -> ``{"a.b": 1}``."""
    out: dict[str, Any] = {}
    for key, value in data.items():
        name = f"{prefix}{key}"
        if isinstance(value, dict):
            out.update(flatten(value, name + "."))
        else:
            out[name] = value
    return out


# ---------------------------------------------------------------- -p overrides


def _lookup(data: dict[str, Any], dotted: str) -> tuple[bool, Any, str | None]:
    """``(found, value, blocked)``: ``blocked`` names a prefix of ``dotted`` that holds a
    value rather than a section (nothing can be set below it)."""
    node: Any = data
    parts = dotted.split(".")
    for i, part in enumerate(parts):
        if not isinstance(node, dict):
            return False, None, ".".join(parts[:i])
        if part not in node:
            return False, None, None
        node = node[part]
    return True, node, None


def _depth(data: dict[str, Any], dotted: str) -> int:
    """How many leading parts of ``dotted`` exist as sections of ``data``."""
    node: Any = data
    depth = 0
    for part in dotted.split(".")[:-1]:
        if not isinstance(node, dict) or not isinstance(node.get(part), dict):
            break
        node = node[part]
        depth += 1
    return depth


def _unknown(key: str, value: Any, files: dict[str, dict[str, Any]]) -> UsageError:
    import difflib

    known = [k for data in files.values() for k in flatten(data)]
    near = difflib.get_close_matches(key, known, n=1)
    hint = f" (did you mean {near[0]}?)" if near else ""
    where = ", ".join(files)
    return UsageError(
        f"-p {key}: no such key in {where}{hint}; to add it, write -p +{key}={_shown(value)}"
    )


def _shown(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def plan_overrides(
    files: dict[str, dict[str, Any]], overrides: dict[str, Any]
) -> dict[str, dict[str, Any]]:
    """Which params file each ``-p`` override goes to: ``{file: {dotted key: value}}``.

    A key must exist in one of the files, unless written ``+key`` (Hydra's convention for
    adding one): a typo never adds a key silently. A section is never replaced by a value,
    and nothing is set below a value.
    """
    plan: dict[str, dict[str, Any]] = {}
    for raw, value in overrides.items():
        add = raw.startswith("+")
        key = raw.lstrip("+")
        target = None
        for name, data in files.items():
            found, old, blocked = _lookup(data, key)
            if blocked:
                raise UsageError(f"-p {raw}: {blocked} in {name} is a value, not a section")
            if found:
                if isinstance(old, dict) and not isinstance(value, dict):
                    raise UsageError(
                        f"-p {raw}: {key} in {name} is a section; set its keys one by one "
                        f"(e.g. -p {key}.NAME=VALUE)"
                    )
                target = name
                break
        if target is None:
            if not add:
                raise _unknown(key, value, files)
            target = max(files, key=lambda name: _depth(files[name], key))
        plan.setdefault(target, {})[key] = value
    return plan


def rewrite(text: str, shown: str, assignments: dict[str, Any]) -> bytes:
    """The params file ``text`` with ``assignments`` (dotted keys) set, its formatting kept.

    YAML goes through ruamel.yaml's round trip (comments, blank lines, quoting, key order
    and the spelling of untouched values stay as they were); JSON keeps its indentation.
    """
    if _is_json(shown):
        return _rewrite_json(text, assignments)
    return _rewrite_yaml(text, shown, assignments)


def _set(node: Any, dotted: str, value: Any, new_section: Any) -> None:
    parts = dotted.split(".")
    for part in parts[:-1]:
        child = node.get(part)
        if child is None:
            child = new_section()
            node[part] = child
        node = child
    node[parts[-1]] = value


def _rewrite_json(text: str, assignments: dict[str, Any]) -> bytes:
    data = json.loads(text) if text.strip() else {}
    for key, value in assignments.items():
        _set(data, key, value, dict)
    indent = None
    for line in text.splitlines()[1:]:
        stripped = line.lstrip(" \t")
        if stripped and len(stripped) < len(line):
            indent = line[: len(line) - len(stripped)]
            break
    out = json.dumps(data, indent=indent)
    return (out + ("\n" if text.endswith("\n") or not text else "")).encode()


def _mapping_indent(text: str) -> int:
    """The indentation step of nested mappings in a YAML text (2 when there are none)."""
    opener: int | None = None
    for line in text.splitlines():
        body = line.lstrip(" ")
        if not body or body.startswith("#"):
            continue
        depth = len(line) - len(body)
        if opener is not None and depth > opener and not body.startswith("-"):
            return depth - opener
        opener = depth if body.rstrip().endswith(":") and not body.startswith("-") else None
    return 2


def _yaml_scalar(value: Any) -> Any:
    """A text value quoted when a YAML 1.1 reader (PyYAML, ours) would read it as
    something else (``yes``, ``1e3``, ``2001-01-01``)."""
    if not isinstance(value, str):
        return value
    import yaml as pyyaml

    resolver = pyyaml.resolver.Resolver()
    tag = resolver.resolve(pyyaml.ScalarNode, value, (True, False))  # type: ignore[no-untyped-call]
    if tag == "tag:yaml.org,2002:str" and value == value.strip() and value:
        return value
    from ruamel.yaml.scalarstring import SingleQuotedScalarString

    return SingleQuotedScalarString(value)


def _rewrite_yaml(text: str, shown: str, assignments: dict[str, Any]) -> bytes:
    import io

    from ruamel.yaml import YAML
    from ruamel.yaml.comments import CommentedMap
    from ruamel.yaml.error import YAMLError
    from ruamel.yaml.util import load_yaml_guess_indent

    try:
        doc, seq_indent, offset = load_yaml_guess_indent(text) if text.strip() else (None, 2, 0)
    except YAMLError as exc:
        raise UsageError(f"{shown}: not valid YAML: {exc}") from None
    if doc is None:
        doc = CommentedMap()
    yaml = YAML()  # round trip
    yaml.preserve_quotes = True
    yaml.width = 4096  # never fold a long line that was not folded
    yaml.indent(mapping=_mapping_indent(text), sequence=seq_indent or 2, offset=offset or 0)
    for key, value in assignments.items():
        _set(doc, key, _yaml_scalar(value), CommentedMap)
    out = io.StringIO()
    yaml.dump(doc, out)
    return out.getvalue().encode()
