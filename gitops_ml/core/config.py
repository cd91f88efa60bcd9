"""``gitops-ml.yaml``: loading and validating the project configuration.

The keys, their types and their messages live in one place: the JSON Schema
``config.schema.json`` beside this module (shipped in the package; editors use it too,
through the ``# yaml-language-server: $schema=`` comment ``init`` writes). Adding a key
is adding one property there; code reads it with :meth:`Config.get`.

The file is read with :mod:`gitops_ml.core.safeyaml` and checked with ``jsonschema``
(imported only when the file changed since it was last validated: the parse cache keeps
the validated mapping by the file's stat). Every problem is reported as
``gitops-ml.yaml:LINE: what is wrong`` (exit 2 from commands, 1 from check-config).
"""

from __future__ import annotations

import json
from pathlib import Path

from gitops_ml.core.atomic import write_atomic
from gitops_ml.core.errors import UsageError

TYPE_CHECKING = False  # typing costs ~7 ms to import: only for the type checker
if TYPE_CHECKING:
    from typing import Any

FILENAME = "gitops-ml.yaml"
SCHEMA_FILE = Path(__file__).with_name("config.schema.json")
# Where init puts a copy of the schema for editors (relative to the repository root).
SCHEMA_COPY = ".git/gitops-ml/gitops-ml.schema.json"
SCHEMA_COMMENT = f"# yaml-language-server: $schema={SCHEMA_COPY}"

PATH_LIST_KEYS = ("params", "metrics", "data", "outputs")
_SCHEMA: dict[str, dict[str, Any]] = {}


def schema() -> dict[str, Any]:
    """The JSON Schema of gitops-ml.yaml (parsed once per process)."""
    if "schema" not in _SCHEMA:
        _SCHEMA["schema"] = json.loads(SCHEMA_FILE.read_text(encoding="utf-8"))
    return _SCHEMA["schema"]


def _salt() -> str:
    """Part of the parse-cache key: a cached mapping was validated by this schema."""
    st = SCHEMA_FILE.stat()
    return f"config:{st.st_size}:{st.st_mtime_ns}"


class Config:
    """The validated configuration; every path is in :func:`gitops_ml.core.paths.normalise`
    form. Known keys are attributes; :meth:`get` reads any key with the schema's default.

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
        raw: dict[str, Any] | None = None,
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
        self.ci = ci or {}  # read by gitops_ml.ci.settings
        self.interpreter = interpreter
        self.secrets_exclude = secrets_exclude or []
        self.path = path
        self.raw = raw or {}

    def replace(self, **changes: Any) -> Config:
        """A copy with some fields changed."""
        fields = dict(vars(self))
        fields.update(changes)
        return Config(**fields)

    def get(self, key: str) -> Any:
        """The value of any key in the file, else the schema's default (else None)."""
        if key in self.raw:
            return self.raw[key]
        prop = schema()["properties"].get(key)
        if prop is None:
            raise KeyError(f"{key!r} is not a key of {FILENAME} (add it to {SCHEMA_FILE.name})")
        return prop.get("default")

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

    def __str__(self) -> str:
        return f"{FILENAME}:{self.line}: {self.message}"


# ---------------------------------------------------------------- validation


def _node_at(root: Any, where: list[Any], *, key: bool = False) -> Any:
    """The YAML node at a JSON path (the key's node with ``key``), as deep as it goes."""
    import yaml

    node = root
    for i, part in enumerate(where):
        last = i == len(where) - 1
        if isinstance(node, yaml.MappingNode):
            hit = next(((k, v) for k, v in node.value if str(k.value) == str(part)), None)
            if hit is None:
                return node
            node = hit[0] if (key and last) else hit[1]
        elif isinstance(node, yaml.SequenceNode) and isinstance(part, int):
            if part >= len(node.value):
                return node
            node = node.value[part]
        else:
            return node
    return node


def _line(node: Any) -> int:
    return int(node.start_mark.line) + 1 if node is not None else 1


def _deepest(error: Any) -> Any:
    """For an ``anyOf`` error, the alternative's error that fits the value's type."""
    while error.validator == "anyOf" and error.context:
        fitting = [e for e in error.context if e.validator != "type"]
        if not fitting:
            break
        error = fitting[0]
    return error


def _schema_problems(data: Any, root: Any) -> list[Problem]:
    import jsonschema

    validator = jsonschema.Draft202012Validator(schema())
    problems: list[Problem] = []
    known = ", ".join(schema()["properties"])
    for found in sorted(validator.iter_errors(data), key=lambda e: list(map(str, e.path))):
        props = found.schema.get("properties") if isinstance(found.schema, dict) else None
        if found.validator == "additionalProperties" and props and isinstance(found.instance, dict):
            where = list(found.absolute_path)
            prefix = "".join(f"{p}." for p in where)
            names = ", ".join(props) if where else known
            for name in sorted(set(found.instance) - set(props), key=str):
                node = _node_at(root, [*where, name], key=True)
                problems.append(
                    Problem(_line(node), f"unknown key '{prefix}{name}' (known: {names})")
                )
            continue
        error = _deepest(found)
        where = list(error.absolute_path)
        what = error.schema.get("x-message") if isinstance(error.schema, dict) else None
        what = what or error.message
        if where:
            dotted = ".".join(map(str, where))
            value = error.instance
            shown = "" if isinstance(value, dict | list) else f", not {value!r}"
            what = f"'{dotted}': {what}{shown}"
        problems.append(Problem(_line(_node_at(root, where)), what))
    return problems


def _path_problems(data: dict[str, Any], root: Any) -> list[Problem]:
    """What the one path normaliser refuses (the schema's patterns catch most of it)."""
    from gitops_ml.core.paths import why_refused

    problems = []
    for key in (*PATH_LIST_KEYS, "lockfile"):
        value = data.get(key)
        items = value if isinstance(value, list) else [value]
        for i, item in enumerate(items):
            if not isinstance(item, str):
                continue
            why = why_refused(item)
            if why:
                node = _node_at(root, [key, i] if isinstance(value, list) else [key])
                problems.append(Problem(_line(node), f"'{key}': {item!r} {why}"))
    return problems


def _section_problems(data: dict[str, Any], root: Any) -> list[Problem]:
    """Sections whose grammar lives in their own module (one place each): tolerances
    (:mod:`gitops_ml.core.tolerance`) and deploy (:mod:`gitops_ml.core.deployconfig`)."""
    problems = []
    tols = data.get("tolerances")
    if isinstance(tols, dict):
        from gitops_ml.core import tolerance

        for metric, spec in tols.items():
            if isinstance(spec, str) and not tolerance.is_valid(spec):
                node = _node_at(root, ["tolerances", metric])
                problems.append(
                    Problem(
                        _line(node),
                        f"'tolerances.{metric}': must be {tolerance.GRAMMAR}, not {spec!r}",
                    )
                )
    deploy = data.get("deploy")
    if isinstance(deploy, dict):
        from gitops_ml.core import deployconfig

        for message in deployconfig.problems(deploy):
            env = next(
                (e for e in deploy if message.startswith((f"deploy.{e}.", f"deploy.{e}:"))), None
            )
            node = _node_at(root, ["deploy"] if env is None else ["deploy", env], key=True)
            problems.append(Problem(_line(node), message))
    return problems


def validate_text(text: str) -> tuple[dict[str, Any], list[Problem]]:
    """Parse and check config text; returns the mapping and every problem found."""
    from gitops_ml.core import safeyaml

    try:
        root = safeyaml.compose(text, FILENAME)
        data = safeyaml.construct(root, FILENAME)
    except safeyaml.YamlProblem as exc:
        return {}, [Problem(exc.line, exc.what)]
    if data is None:
        return {}, []
    problems = _schema_problems(data, root)
    if not isinstance(data, dict):
        return {}, problems
    seen = {p.line for p in problems}
    problems += [p for p in _path_problems(data, root) if p.line not in seen]
    if not problems:
        problems += _section_problems(data, root)
    problems.sort(key=lambda p: p.line)
    return data, problems


def check_file(path: Path) -> tuple[dict[str, Any], list[Problem]]:
    """Read and validate a config file: ``({}, [])`` when absent."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return {}, []
    except (OSError, UnicodeDecodeError) as exc:
        why = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
        return {}, [Problem(1, f"cannot read: {why}")]
    return validate_text(text)


# ---------------------------------------------------------------- loading


def _paths(value: Any, key: str) -> list[str]:
    from gitops_ml.core.paths import normalise

    if value is None:
        return []
    items = value if isinstance(value, list) else [value]
    out: list[str] = []
    for item in items:
        rel = normalise(str(item), f"{FILENAME}: '{key}'")
        if rel not in out:
            out.append(rel)
    return out


def from_mapping(data: dict[str, Any], path: Path | None = None) -> Config:
    """A :class:`Config` from an already validated mapping."""
    lockfile = data.get("lockfile")
    return Config(
        params=_paths(data.get("params"), "params"),
        metrics=_paths(data.get("metrics"), "metrics"),
        data=_paths(data.get("data"), "data"),
        outputs=_paths(data.get("outputs"), "outputs"),
        lockfile=_paths(lockfile, "lockfile")[0] if lockfile else None,
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
        raw=data,
    )


def check(top: Path) -> tuple[Config, list[Problem]]:
    """The configuration at ``top`` and every problem in it (defaults when absent).

    Validated only when the file changed since it was last validated (by its stat), so
    the hot path imports neither PyYAML nor jsonschema. With problems, the Config holds
    the defaults.
    """
    from gitops_ml.core.parsecache import for_root

    path = top / FILENAME
    cache = for_root(top)
    salt = _salt()
    data = cache.get(path, salt)
    if data is not None:
        return from_mapping(data, path), []
    try:
        st = path.stat()
    except FileNotFoundError:
        return Config(), []
    except OSError as exc:
        return Config(), [Problem(1, f"cannot read: {exc.strerror}")]
    data, problems = check_file(path)
    if problems:
        return Config(path=path), problems
    try:
        cfg = from_mapping(data, path)
    except UsageError as exc:  # pragma: no cover - the schema and normaliser agree
        return Config(path=path), [Problem(1, str(exc))]
    cache.put(path, st, data, salt)
    write_schema_copy(top)
    return cfg, []


def load(top: Path) -> Config:
    """Load ``gitops-ml.yaml`` from the repository root (defaults when absent).

    Raises :class:`UsageError` ``gitops-ml.yaml:LINE: what`` for the first problem.
    """
    cfg, problems = check(top)
    if problems:
        raise UsageError(str(problems[0]))
    return cfg


# ---------------------------------------------------------------- editors


def write_schema_copy(top: Path) -> bool:
    """Put the schema where the ``$schema`` comment points (when it differs); True if
    written. Quietly does nothing where it cannot (a linked worktree, read-only .git)."""

    dest = top / SCHEMA_COPY
    if not dest.parent.parent.is_dir():
        return False
    want = SCHEMA_FILE.read_bytes()
    try:
        if dest.read_bytes() == want:
            return False
    except OSError:
        pass
    try:
        write_atomic(dest, want, durable=False, mkdir=True)
    except OSError:
        return False
    return True
