"""``gitops-ml.yaml``: loading and validating the project configuration.

Every problem is reported as ``gitops-ml.yaml:LINE: what is wrong`` (exit 2).
"""

from __future__ import annotations

import re
from pathlib import Path

from gitops_ml.core.errors import UsageError

TYPE_CHECKING = False  # typing costs ~7 ms to import: only for the type checker
if TYPE_CHECKING:
    from typing import Any

FILENAME = "gitops-ml.yaml"

_PATH_LIST_KEYS = ("params", "metrics", "data", "outputs")
_TOLERANCE = re.compile(r"^(abs|rel):([0-9]*\.?[0-9]+(?:[eE][-+]?[0-9]+)?)$")
KNOWN_KEYS = {
    "params": "path or list of paths: the params file(s) (YAML or JSON)",
    "metrics": "path or list of paths: metrics file(s) the command writes (YAML or JSON)",
    "data": "path or list of paths: data files or directories, recorded by content hash",
    "outputs": "path or list of paths: files the command produces (models), recorded by hash",
    "lockfile": "path: the environment lockfile (uv.lock, requirements.txt, ...)",
    "primary": "metric name, '-' prefixed when lower is better (e.g. accuracy, -loss)",
    "tolerances": "mapping metric -> 'abs:X' or 'rel:Y' for reproduce --verify",
    "store": "fsspec URL of the data remote (a path, s3://bucket/prefix, ...)",
    "env": "list of environment variable names to record (never credentials)",
    "max_untracked_mb": "number: untracked files larger than this are left out of snapshots",
    "deploy": "mapping of deploy environments",
    "verify_outputs": "bool: fail reproduce --verify when an output is not bitwise identical",
    "ci": "mapping: the CI check (primary, allowed_regression, train, grid, max_runs, ...)",
    "interpreter": "path or name: the Python the command runs under, whose environment is recorded",
    "secrets_exclude": "list of file patterns left out of snapshots ('!pattern' keeps a default)",
}


class Config:
    """The parsed configuration; all path lists are repo-relative POSIX paths.

    (A plain class, not a dataclass: ``dataclasses`` costs ~6 ms of start-up.)
    """

    def __init__(
        self,
        *,
        params: list[str] | None = None,
        metrics: list[str] | None = None,
        data: list[str] | None = None,
        outputs: list[str] | None = None,
        lockfile: str | None = None,
        primary: str | None = None,
        tolerances: dict[str, str] | None = None,
        store: str | None = None,
        env: list[str] | None = None,
        max_untracked_mb: float = 10.0,
        deploy: dict[str, Any] | None = None,
        verify_outputs: bool = False,
        ci: dict[str, Any] | None = None,
        interpreter: str | None = None,
        secrets_exclude: list[str] | None = None,
        path: Path | None = None,
    ) -> None:
        self.params = params or []
        self.metrics = metrics or []
        self.data = data or []
        self.outputs = outputs or []
        self.lockfile = lockfile
        self.primary = primary
        self.tolerances = tolerances or {}
        self.store = store
        self.env = env or []
        self.max_untracked_mb = max_untracked_mb
        self.deploy = deploy or {}
        self.verify_outputs = verify_outputs
        self.ci = ci or {}  # checked by gitops_ml.ci.settings (CI_KEYS below)
        self.interpreter = interpreter
        self.secrets_exclude = secrets_exclude or []
        self.path = path

    def replace(self, **changes: Any) -> Config:
        """A copy with some fields changed."""
        fields = dict(vars(self))
        fields.update(changes)
        return Config(**fields)

    @property
    def max_untracked_bytes(self) -> int:
        return int(self.max_untracked_mb * 1024 * 1024)


class Problem:
    """One problem found in gitops-ml.yaml, at a line."""

    __slots__ = ("line", "message")

    def __init__(self, line: int, message: str) -> None:
        self.line = line
        self.message = message

    def __repr__(self) -> str:
        return f"Problem({self.line}, {self.message!r})"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Problem) and (self.line, self.message) == (
            other.line,
            other.message,
        )

    def __hash__(self) -> int:
        return hash((self.line, self.message))


def _line(node: Any) -> int:
    return int(node.start_mark.line) + 1 if node is not None else 1


def _path_ok(value: str) -> str | None:
    if not value or value.startswith("/") or re.match(r"^[A-Za-z]:[\\/]", value):
        return "must be a relative path inside the repository"
    if ".." in Path(value).parts:
        return "must not leave the repository ('..')"
    return None


def validate_text(text: str) -> tuple[dict[str, Any], list[Problem]]:
    """Parse and check config text; returns the raw mapping and every problem found."""
    import yaml

    try:
        root = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = mark.line + 1 if mark is not None else 1
        problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        return {}, [Problem(line, f"not valid YAML: {problem}")]
    if root is None:
        return {}, []
    if not isinstance(root, yaml.MappingNode):
        return {}, [Problem(_line(root), "must be a mapping of keys to values")]
    data = yaml.safe_load(text) or {}
    problems: list[Problem] = []
    nodes = {k.value: (k, v) for k, v in root.value}
    for key, (knode, vnode) in nodes.items():
        value = data.get(key)
        if key not in KNOWN_KEYS:
            problems.append(
                Problem(_line(knode), f"unknown key '{key}' (known: {', '.join(KNOWN_KEYS)})")
            )
            continue
        if key in _PATH_LIST_KEYS:
            items = value if isinstance(value, list) else [value]
            if value is None:
                continue
            for item in items:
                if not isinstance(item, str):
                    problems.append(
                        Problem(_line(vnode), f"'{key}' must be a path or a list of paths")
                    )
                    break
                why = _path_ok(item)
                if why:
                    problems.append(Problem(_line(vnode), f"'{key}': {item!r} {why}"))
        elif key == "lockfile" and value is not None:
            if not isinstance(value, str):
                problems.append(Problem(_line(vnode), "'lockfile' must be a path"))
            elif why := _path_ok(value):
                problems.append(Problem(_line(vnode), f"'lockfile': {why}"))
        elif key == "primary" and value is not None:
            if not isinstance(value, str) or not value.lstrip("-"):
                problems.append(
                    Problem(_line(vnode), "'primary' must be a metric name, e.g. accuracy or -loss")
                )
        elif key == "tolerances" and value is not None:
            if not isinstance(value, dict):
                problems.append(
                    Problem(_line(vnode), "'tolerances' must map metric names to abs:X or rel:Y")
                )
            else:
                for metric, tol in value.items():
                    if not isinstance(tol, str) or not _TOLERANCE.match(tol):
                        problems.append(
                            Problem(
                                _line(vnode),
                                f"tolerance for '{metric}' must be abs:X or rel:Y, not {tol!r}",
                            )
                        )
        elif key == "store" and value is not None and not isinstance(value, str):
            problems.append(Problem(_line(vnode), "'store' must be a URL or a path"))
        elif (
            key == "env"
            and value is not None
            and (not isinstance(value, list) or not all(isinstance(v, str) for v in value))
        ):
            problems.append(Problem(_line(vnode), "'env' must be a list of variable names"))
        elif key == "max_untracked_mb" and (
            not isinstance(value, int | float) or isinstance(value, bool) or value < 0
        ):
            problems.append(
                Problem(_line(vnode), "'max_untracked_mb' must be a non-negative number")
            )
        elif key == "deploy" and value is not None and not isinstance(value, dict):
            problems.append(Problem(_line(vnode), "'deploy' must be a mapping of environments"))
        elif key == "verify_outputs" and not isinstance(value, bool):
            problems.append(Problem(_line(vnode), "'verify_outputs' must be true or false"))
        elif key == "ci" and value is not None:
            problems += [Problem(_line(vnode), m) for m in ci_problems(value)]
        elif key == "interpreter" and (not isinstance(value, str) or not value):
            problems.append(Problem(_line(vnode), "'interpreter' must be a path or a command name"))
        elif key == "secrets_exclude" and (
            not isinstance(value, list) or not all(isinstance(v, str) and v for v in value)
        ):
            problems.append(Problem(_line(vnode), "'secrets_exclude' must be a list of patterns"))
    return data, problems


CI_KEYS = {
    "primary": "metric the check compares (default: the top-level primary)",
    "allowed_regression": "abs:X or rel:Y (or a number, abs): how much worse than the base's best passes",
    "train": "the training command the retrain mode records (a string, split like a shell)",
    "grid": "mapping param -> list of values: the grid `ci matrix` fans out",
    "max_runs": "integer: at most this many claimed runs are verified (newest first)",
    "max_jobs": "integer: at most this many grid jobs",
    "unverifiable": "fail (default) or pass: a claimed run without metrics",
}


def ci_problems(value: Any) -> list[str]:
    """What is wrong with the ``ci`` mapping (empty when it is fine)."""
    if not isinstance(value, dict):
        return ["'ci' must be a mapping (keys: " + ", ".join(CI_KEYS) + ")"]
    out = []
    for k, v in value.items():
        if k not in CI_KEYS:
            out.append(f"unknown key 'ci.{k}' (known: {', '.join(CI_KEYS)})")
        elif k == "primary" and (not isinstance(v, str) or not v.lstrip("-")):
            out.append("'ci.primary' must be a metric name, e.g. accuracy or -loss")
        elif k == "allowed_regression" and not (
            (isinstance(v, int | float) and not isinstance(v, bool) and v >= 0)
            or (isinstance(v, str) and _TOLERANCE.match(v))
        ):
            out.append("'ci.allowed_regression' must be abs:X, rel:Y or a non-negative number")
        elif k == "train" and not (isinstance(v, str) and v.strip()):
            out.append("'ci.train' must be a command line (a string)")
        elif k == "grid" and not (
            isinstance(v, dict)
            and v
            and all(isinstance(x, list) and x for x in v.values())
            and all(isinstance(name, str) for name in v)
        ):
            out.append("'ci.grid' must map param names to non-empty lists of values")
        elif k in ("max_runs", "max_jobs") and not (
            isinstance(v, int) and not isinstance(v, bool) and v > 0
        ):
            out.append(f"'ci.{k}' must be a positive integer")
        elif k == "unverifiable" and v not in ("fail", "pass"):
            out.append("'ci.unverifiable' must be fail or pass")
    return out


def _as_list(value: Any) -> list[str]:
    if value is None:
        return []
    items = value if isinstance(value, list) else [value]
    return [str(v).rstrip("/") for v in items]


def load(top: Path) -> Config:
    """Load ``gitops-ml.yaml`` from the repository root (defaults when absent)."""
    from gitops_ml.core.parsecache import for_root

    path = top / FILENAME
    cache = for_root(top)
    data = cache.get(path)
    if data is None:
        try:
            st = path.stat()
            text = path.read_text(encoding="utf-8")
        except FileNotFoundError:
            return Config()
        except (OSError, UnicodeDecodeError) as exc:
            raise UsageError(f"{FILENAME}: cannot read: {exc}") from None
        data, problems = validate_text(text)
        if problems:
            first = problems[0]
            raise UsageError(f"{FILENAME}:{first.line}: {first.message}")
        cache.put(path, st, data)
    return Config(
        params=_as_list(data.get("params")),
        metrics=_as_list(data.get("metrics")),
        data=_as_list(data.get("data")),
        outputs=_as_list(data.get("outputs")),
        lockfile=data.get("lockfile"),
        primary=data.get("primary"),
        tolerances=dict(data.get("tolerances") or {}),
        store=data.get("store"),
        env=list(data.get("env") or []),
        max_untracked_mb=float(data.get("max_untracked_mb", 10.0)),
        deploy=dict(data.get("deploy") or {}),
        verify_outputs=bool(data.get("verify_outputs", False)),
        ci=dict(data.get("ci") or {}),
        interpreter=data.get("interpreter"),
        secrets_exclude=list(data.get("secrets_exclude") or []),
        path=path,
    )
