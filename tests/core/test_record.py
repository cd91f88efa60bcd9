"""The run record text: the message format and the distribution-list cut used by the index."""

from __future__ import annotations

import json

import pytest

from gitops_ml.core import record
from gitops_ml.core.errors import GitopsError


def _rec(**extra: object) -> dict[str, object]:
    base: dict[str, object] = {
        "schema": 1,
        "id": "01ABC",
        "environment": {"distributions": {"a": "1", "b-c": "2.0"}, "python": "3.11.7"},
        "metrics": {"acc": 0.9},
    }
    base.update(extra)
    return base


def test_message_round_trip() -> None:
    text = record.message(_rec(name="baseline"))
    assert text.startswith("gitops-ml run 01ABC: baseline\n\n")
    body = text.split("\n\n", 1)[1]
    assert record.loads("01ABC", body, "c0ffee")["git"] == {"snapshot": "c0ffee"}


def test_cut_distributions_equals_slim() -> None:
    rec = _rec()
    cut, count = record.cut_distributions(record.dumps(rec))
    assert count == 2
    slim = record.slim(rec)
    slim["environment"].pop("distributions_count")
    assert json.loads(cut) == slim
    # Not in the expected shape: left to the full parse.
    assert record.cut_distributions('{"id":"x"}') == ('{"id":"x"}', None)


def test_damaged_records_raise() -> None:
    with pytest.raises(GitopsError):
        record.loads("01ABC", "{not json", None)
    with pytest.raises(GitopsError):
        record.loads("01ABC", json.dumps({"id": "OTHER"}), None)
    newer = record.loads("01ABC", json.dumps({"id": "01ABC", "schema": 99}), None)
    assert newer["warnings"]


def _build(**over: object) -> dict[str, object]:
    args: dict[str, object] = dict(
        run_id="01ABC",
        name=None,
        command=["true"],
        cwd=".",
        exit_code=0,
        started=1_700_000_000.25,
        ended=1_700_000_001.5,
        user=("A", "a@example.com"),
        host="h",
        base=None,
        branch="main",
        dirty=False,
        tree="t" * 40,
        params={},
        metrics={"m": 1.0},
        data=[],
        outputs=[],
        artifacts=[],
        environment={"fingerprint": "f" * 64},
        seeds={},
        tags=[],
        isolated=False,
        reproduces=None,
        skipped=[("big.bin", 10)],
    )
    args.update(over)
    return dict(record.build(**args))  # type: ignore[arg-type]


def test_build_makes_every_key_once() -> None:
    rec = _build()
    assert tuple(rec) == record.KEYS
    assert rec["schema"] == record.SCHEMA_VERSION == 2
    assert rec["started"] == "2023-11-14T22:13:20.250Z" and rec["duration"] == 1.25
    assert rec["skipped"] == [{"path": "big.bin", "size": 10}]
    assert rec["user"] == {"name": "A", "email": "a@example.com"}


def _typed_keys(cls: str) -> list[str]:
    import ast
    import inspect

    tree = ast.parse(inspect.getsource(record))
    for node in ast.walk(tree):
        if isinstance(node, ast.ClassDef) and node.name == cls:
            return [
                n.target.id
                for n in node.body
                if isinstance(n, ast.AnnAssign) and isinstance(n.target, ast.Name)
            ]
    raise AssertionError(f"no class {cls}")


def test_readme_record_table_matches_the_typed_record() -> None:
    from pathlib import Path

    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text()
    section = readme.split("### Run record (schema version 2)", 1)[1].split("\n#", 1)[0]
    keys: list[str] = []
    for row in section.splitlines():
        if row.startswith("| `"):
            cell = row.split("|")[1]
            keys += [k.strip().strip("`") for k in cell.split(",")]
    assert keys == list(record.KEYS)
    assert _typed_keys("RunRecord") == list(record.KEYS)
    env_keys = set(_typed_keys("Environment"))
    assert {"fingerprint", "os", "executable", "lockfile", "variables"} <= env_keys
    assert set(record.SHARED_ENVIRONMENT_KEYS) <= env_keys


def test_split_environment_names_the_file_by_its_hash() -> None:
    from blake3 import blake3

    env = {
        "python": "3.11.7",
        "implementation": "cpython",
        "platform": "linux-x86_64",
        "distributions": {"a": "1"},
        "os": "Linux-6",
        "executable": "/x/python",
        "lockfile": None,
        "variables": {"LANG": "C"},
        "fingerprint": "old",
    }
    entry, (fingerprint, data) = record.split_environment(env)
    assert blake3(data).hexdigest() == fingerprint == entry["fingerprint"]
    assert json.loads(data) == {k: env[k] for k in record.SHARED_ENVIRONMENT_KEYS}
    assert entry == {
        "fingerprint": fingerprint,
        "os": "Linux-6",
        "executable": "/x/python",
        "lockfile": None,
        "variables": {"LANG": "C"},
    }
    # the same environment elsewhere (other host, other variables) is the same file
    other = dict(env, os="Darwin", executable="/y/python", variables={})
    assert record.split_environment(other)[1][0] == fingerprint
    assert not record.is_inline_environment(entry) and record.is_inline_environment(env)
