"""The run record: one typed, versioned JSON document stored in the run commit's message.

Schema version 2 (README, "Run record"): the keys are those of :class:`RunRecord`, built
by :func:`build` (the one place a record is assembled). Version 2 stores the bulky part
of the environment (Python, implementation, platform, distributions) once per distinct
environment under ``refs/gitops-ml/environments``, named by the hash of its content; the
record keeps the per-run part and that ``fingerprint`` (:func:`split_environment`).
Version 1 records carry the whole environment inline and are still read.

The types are for the type checker only: at run time a record is a plain ``dict`` built
from a literal (no class, no validation on the recording hot path).
"""

from __future__ import annotations

import json

from gitops_ml.core.errors import GitopsError
from gitops_ml.core.times import utc_iso

TYPE_CHECKING = False  # typing costs ~7 ms to import: only for the type checker
if TYPE_CHECKING:
    from collections.abc import Mapping, Sequence
    from typing import Any, TypedDict

    from gitops_ml.core.gitstore import Repo

    class User(TypedDict):
        name: str
        email: str

    class GitInfo(TypedDict, total=False):
        base: str | None  # HEAD when the run started (None on an unborn branch)
        branch: str | None
        dirty: bool
        tree: str | None
        snapshot: str  # added by readers: the run commit

    class PathEntry(TypedDict, total=False):
        path: str
        hash: str
        size: int
        files: int
        kind: str

    class Environment(TypedDict, total=False):
        fingerprint: str  # v2: names the file in refs/gitops-ml/environments
        os: str
        executable: str
        lockfile: dict[str, Any] | None
        variables: dict[str, str]
        # the shared part (inline in v1 records; merged in by full_environment in v2)
        python: str
        implementation: str
        platform: str
        distributions: dict[str, str]

    class Skipped(TypedDict):
        path: str
        size: int

    class RunRecord(TypedDict):
        schema: int
        id: str
        name: str | None
        command: list[str] | None
        cwd: str
        exit_code: int
        started: str
        ended: str
        duration: float
        user: User
        host: str
        git: GitInfo
        params: dict[str, Any]
        metrics: dict[str, Any]
        data: list[PathEntry]
        outputs: list[PathEntry]
        artifacts: list[dict[str, Any]]
        environment: Environment
        seeds: dict[str, Any]
        tags: list[str]
        isolated: bool
        reproduces: str | None
        skipped: list[Skipped]


SCHEMA_VERSION = 2
# The record's keys, in the README's order (tests check build(), RunRecord and the README).
KEYS = (
    "schema",
    "id",
    "name",
    "command",
    "cwd",
    "exit_code",
    "started",
    "ended",
    "duration",
    "user",
    "host",
    "git",
    "params",
    "metrics",
    "data",
    "outputs",
    "artifacts",
    "environment",
    "seeds",
    "tags",
    "isolated",
    "reproduces",
    "skipped",
)
# What one environment file holds: the part many runs share.
SHARED_ENVIRONMENT_KEYS = ("python", "implementation", "platform", "distributions")


class CorruptRecord(GitopsError):
    def __init__(self, run_id: str, why: str) -> None:
        super().__init__(f"run {run_id}: record is unreadable ({why})", 3)


def environment_file(env: Mapping[str, Any]) -> tuple[str, bytes]:
    """``(fingerprint, content)`` of the shared part of a captured environment: the JSON
    file stored once in ``refs/gitops-ml/environments``, named by the hash of its bytes."""
    from gitops_ml.core.hashing import hash_bytes

    shared = {k: env.get(k) for k in SHARED_ENVIRONMENT_KEYS}
    data = json.dumps(shared, sort_keys=True, separators=(",", ":"), default=str).encode()
    return hash_bytes(data), data


def split_environment(env: Mapping[str, Any]) -> tuple[Environment, tuple[str, bytes]]:
    """A captured environment as a v2 record keeps it (the per-run part and the
    fingerprint), and the environment file to store."""
    fingerprint, data = environment_file(env)
    entry: Environment = {
        "fingerprint": fingerprint,
        "os": env.get("os"),  # type: ignore[typeddict-item]
        "executable": env.get("executable"),  # type: ignore[typeddict-item]
        "lockfile": env.get("lockfile"),
        "variables": dict(env.get("variables") or {}),
    }
    return entry, (fingerprint, data)


def build(
    *,
    run_id: str,
    name: str | None,
    command: Sequence[str] | None,
    cwd: str,
    exit_code: int,
    started: float,
    ended: float,
    user: tuple[str, str],
    host: str,
    base: str | None,
    branch: str | None,
    dirty: bool,
    tree: str | None,
    params: dict[str, Any],
    metrics: dict[str, Any],
    data: list[PathEntry],
    outputs: list[PathEntry],
    artifacts: list[dict[str, Any]],
    environment: Environment,
    seeds: dict[str, Any],
    tags: list[str],
    isolated: bool,
    reproduces: str | None,
    skipped: Sequence[tuple[str, int]],
) -> RunRecord:
    """The one place a run record is assembled (schema :data:`SCHEMA_VERSION`).

    ``environment`` is the record's part of the environment (see
    :func:`split_environment`); times are seconds since the epoch.
    """
    return {
        "schema": SCHEMA_VERSION,
        "id": run_id,
        "name": name,
        "command": list(command) if command is not None else None,
        "cwd": cwd,
        "exit_code": exit_code,
        "started": utc_iso(started),
        "ended": utc_iso(ended),
        "duration": round(ended - started, 3),
        "user": {"name": user[0], "email": user[1]},
        "host": host,
        "git": {"base": base, "branch": branch, "dirty": dirty, "tree": tree},
        "params": params,
        "metrics": metrics,
        "data": data,
        "outputs": outputs,
        "artifacts": artifacts,
        "environment": environment,
        "seeds": seeds,
        "tags": tags,
        "isolated": isolated,
        "reproduces": reproduces,
        "skipped": [{"path": p, "size": s} for p, s in skipped],
    }


def dumps(record: Mapping[str, Any]) -> str:
    return json.dumps(record, sort_keys=True, separators=(",", ":"), default=str)


def message(record: Mapping[str, Any]) -> str:
    """The commit message of a run commit: a header line, a blank line, the JSON."""
    summary = f"gitops-ml run {record['id']}"
    if record.get("name"):
        summary += f": {record['name']}"
    return f"{summary}\n\n{dumps(record)}\n"


def loads(run_id: str, text: str | None, commit: str | None = None) -> dict[str, Any]:
    """Parse a stored record, adding the snapshot commit id; a damaged one raises."""
    if text is None:
        raise CorruptRecord(run_id, "its commit is missing")
    try:
        record = json.loads(text)
    except json.JSONDecodeError as exc:
        raise CorruptRecord(run_id, f"not JSON: {exc.msg}") from None
    if not isinstance(record, dict) or record.get("id") != run_id:
        raise CorruptRecord(run_id, "not a gitops-ml run record")
    try:
        schema = int(record.get("schema", 0))
    except (TypeError, ValueError):
        raise CorruptRecord(run_id, f"schema {record.get('schema')!r} is not a number") from None
    if schema > SCHEMA_VERSION:
        record.setdefault("warnings", []).append(
            "written by a newer gitops-ml; some fields may be unknown"
        )
    if commit:
        git = record.setdefault("git", {})
        if isinstance(git, dict):
            git["snapshot"] = commit
    return record


def is_inline_environment(env: Mapping[str, Any]) -> bool:
    """Whether a record's environment carries its shared part itself (version 1)."""
    return "distributions" in env or not env.get("fingerprint") or "python" in env


def full_environment(repo: Repo, rec: Mapping[str, Any]) -> dict[str, Any]:
    """The whole environment of a record, version 1 or 2, as one dict.

    Version 1: the inline environment as recorded. Version 2: the stored environment file
    (read from ``refs/gitops-ml/environments`` and checked against its name, see
    :func:`gitstore.read_environment`) merged with the record's per-run part.
    """
    env = rec.get("environment")
    if not isinstance(env, dict):
        return {}
    if is_inline_environment(env):
        return dict(env)
    from gitops_ml.core import gitstore

    shared = gitstore.read_environment(repo, str(env["fingerprint"]))
    return {**shared, **env}


def with_full_environment(repo: Repo, rec: dict[str, Any]) -> dict[str, Any]:
    """``rec`` with its environment made whole (:func:`full_environment`), in place.

    An environment this clone does not hold yet leaves the record's part as it is, with a
    warning in ``rec["warnings"]``; a forged one raises.
    """
    from gitops_ml.core import gitstore

    if isinstance(rec.get("environment"), dict):
        try:
            rec["environment"] = full_environment(repo, rec)
        except gitstore.EnvironmentMissing as exc:
            rec.setdefault("warnings", []).append(str(exc))
    return rec


_DISTS = '"environment":{"distributions":{'


def cut_distributions(text: str) -> tuple[str, int | None]:
    """The record text without its distribution list, and how many it had.

    Done on the text (the list is most of a version 1 record's bytes, and records are
    written with sorted keys, so it opens the environment object), so reading 10,000
    records for the query index does not parse 10,000 lists; None when the text is not in
    that form (version 2 records have no list).
    """
    start = text.find(_DISTS)
    if start < 0:
        return text, None
    body = start + len(_DISTS)
    end = text.find("}", body)
    if end < 0 or "{" in text[body:end]:
        return text, None
    count = text.count('":"', body, end)
    rest = text[end + 1 :]
    if rest.startswith(","):
        rest = rest[1:]
    return text[: start + len('"environment":{')] + rest, count


def slim(record: dict[str, Any]) -> dict[str, Any]:
    """The record without the bulky distribution list (kept in the local query index)."""
    out = dict(record)
    env = dict(out.get("environment") or {})
    dists = env.pop("distributions", None)
    if dists is not None:
        env["distributions_count"] = len(dists)
    out["environment"] = env
    return out
