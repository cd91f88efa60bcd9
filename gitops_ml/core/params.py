"""Params files: reading them, applying ``-p KEY=VALUE`` overrides, writing them back."""

from __future__ import annotations

import json
import re
from pathlib import Path

from gitops_ml.core.errors import UsageError

TYPE_CHECKING = False  # typing costs ~7 ms to import: only for the type checker
if TYPE_CHECKING:
    from typing import Any

_EXPONENT = re.compile(r"^[-+]?(\d+\.?\d*|\.\d+)[eE][-+]?\d+$")


def parse_value(text: str) -> Any:
    """A ``-p`` value as YAML would read it: ``0.1`` a float, ``true`` a bool, else text."""
    import yaml

    try:
        value = yaml.safe_load(text)
    except yaml.YAMLError:
        return text
    if isinstance(value, str) and _EXPONENT.match(text.strip()):
        return float(text)  # YAML 1.1 reads 1e-3 (no dot) as text; people mean a number
    return text if isinstance(value, dict | list) or (value is None and text != "null") else value


def parse_assignment(item: str) -> tuple[str, Any]:
    key, sep, value = item.partition("=")
    if not sep or not key.strip():
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


def parse_text(text: str, shown: str) -> dict[str, Any]:
    if _is_json(shown):
        try:
            data = json.loads(text) if text.strip() else {}
        except json.JSONDecodeError as exc:
            raise UsageError(f"{shown}:{exc.lineno}: not valid JSON: {exc.msg}") from None
    else:
        import yaml

        try:
            data = yaml.safe_load(text)
        except yaml.YAMLError as exc:
            mark = getattr(exc, "problem_mark", None)
            line = f":{mark.line + 1}" if mark is not None else ""
            raise UsageError(
                f"{shown}{line}: not valid YAML: {getattr(exc, 'problem', exc)}"
            ) from None
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise UsageError(f"{shown}: must hold a mapping of names to values")
    return data


def dump(data: dict[str, Any], shown: str) -> bytes:
    if _is_json(shown):
        return (json.dumps(data, indent=2) + "\n").encode()
    import yaml

    return yaml.safe_dump(data, sort_keys=False, default_flow_style=False).encode()


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


def _has(data: dict[str, Any], dotted: str) -> bool:
    node: Any = data
    for part in dotted.split("."):
        if not isinstance(node, dict) or part not in node:
            return False
        node = node[part]
    return True


def _set(data: dict[str, Any], dotted: str, value: Any) -> None:
    parts = dotted.split(".")
    node = data
    for part in parts[:-1]:
        child = node.get(part)
        if not isinstance(child, dict):
            child = {}
            node[part] = child
        node = child
    node[parts[-1]] = value


def apply_overrides(
    files: dict[str, dict[str, Any]], overrides: dict[str, Any]
) -> tuple[dict[str, dict[str, Any]], set[str]]:
    """Apply overrides to the params files holding each key (else the first file).

    Returns the new contents and the set of files that changed.
    """
    changed: set[str] = set()
    for key, value in overrides.items():
        target = next((f for f, d in files.items() if _has(d, key)), None)
        if target is None and files:
            target = next(iter(files))
        if target is None:
            continue
        _set(files[target], key, value)
        changed.add(target)
    return files, changed
