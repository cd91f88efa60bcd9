"""Fuzzing (Hypothesis) of what users and teammates write: gitops-ml.yaml, params files,
directory manifests. In process for many inputs, through the real CLI for a few: never a
traceback, only documented exit codes, nothing written outside the repository, nothing
executed."""

from __future__ import annotations

import contextlib
import os
import subprocess
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from gitops_ml.core import config, manifest
from gitops_ml.core.errors import UsageError
from gitops_ml.core.params import parse_text
from tests.conftest import git, make_project, write

# Pieces real YAML is made of, hostile ones included, joined at random.
TOKENS = [
    "params: params.yaml",
    "metrics: m.json",
    "data:",
    "  - data/",
    "  - ./raw/",
    "- x",
    "outputs: [a, b]",
    "store: ../store",
    "primary: -loss",
    "tolerances:",
    "  acc: abs:0.1",
    "max_untracked_mb: 5",
    "max_untracked_mb: .inf",
    "verify_outputs: yes",
    "deploy:",
    "  prod: {target: command, command: ./x}",
    "env: [A, B]",
    "lr: 0.1",
    "d: 2001-01-01",
    "!!python/object/apply:os.system ['touch pwned']",
    "x: !!python/name:os.system",
    "? [a, b]",
    ": 1",
    "a: &a [*a]",
    "b: &b [1, 2]",
    "c: [*b, *b, *b]",
    "<<: *b",
    "k: !!binary aGk=",
    "'quoted': \"v\"",
    "{",
    "}",
    "[",
    "]",
    "\t",
    "#",
    "%YAML 1.1",
    "---",
    "...",
    "key: |",
    "  block",
    "n: .nan",
    "z: 0x1F",
    "e: 1e400",
    "u: \u2028\x85",
    "\x00",
]

yaml_texts = st.one_of(
    st.lists(st.sampled_from(TOKENS), max_size=12).map("\n".join),
    st.text(max_size=200),
)


@settings(max_examples=400, deadline=None)
@given(yaml_texts)
def test_config_validation_never_raises(text: str) -> None:
    data, problems = config.validate_text(text)
    assert isinstance(data, dict)
    for p in problems:
        assert p.line >= 1 and p.message and "\n" not in str(p)
    if not problems:
        config.from_mapping(data)  # what validates also loads


@settings(max_examples=400, deadline=None)
@given(yaml_texts, st.sampled_from(["params.yaml", "params.json"]))
def test_params_parsing_raises_only_usage_errors(text: str, name: str) -> None:
    try:
        data = parse_text(text, name)
    except UsageError as exc:
        assert "\n" not in str(exc)
        return
    assert isinstance(data, dict)
    import json

    json.dumps(data, allow_nan=False)  # always strict JSON: records hold it


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=300))
def test_manifest_decoding_raises_only_value_errors(blob: bytes) -> None:
    with contextlib.suppress(ValueError):
        manifest.decode(blob)


names = st.text(
    st.characters(blacklist_characters="\x00/", blacklist_categories=("Cs",)), min_size=1
).filter(lambda n: n not in (".", ".."))


@settings(max_examples=300, deadline=None)
@given(st.lists(st.tuples(names, st.integers(0, 2**40)), unique_by=lambda r: r[0], max_size=8))
def test_manifest_round_trips_any_names(rows: list[tuple[str, int]]) -> None:
    full = sorted((("ab" * 32), size, name) for name, size in rows)
    full = [(d, s, n) for d, s, n in sorted(full, key=lambda r: r[2])]
    assert manifest.decode(manifest.encode(full)) == full


def _outside(tmp_path: Path, repo: Path) -> set[str]:
    """Every path under tmp_path (HOME included) that is not inside the repository."""
    return {
        str(p)
        for p in tmp_path.rglob("*")
        if repo not in p.parents and p != repo and ".cache" not in p.parts
    }


@settings(
    max_examples=12,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(yaml_texts, yaml_texts)
def test_cli_on_fuzzed_config_and_params(tmp_path: Path, cfg_text: str, params_text: str) -> None:
    repo = tmp_path / "p"
    if not repo.exists():
        make_project(repo)
    write(repo / "gitops-ml.yaml", cfg_text.replace("\x00", ""))
    write(repo / "params.yaml", params_text.replace("\x00", ""))
    before = _outside(tmp_path, repo)
    for args in (["gitops-ml", "run", "--", "true"], ["gitops-ml-check-config"]):
        proc = subprocess.run(args, cwd=repo, capture_output=True, text=True, timeout=60)
        assert proc.returncode in (0, 1, 2), (args, proc.returncode, proc.stderr)
        assert "Traceback" not in proc.stdout + proc.stderr
        if proc.returncode == 2:
            assert proc.stderr.count("\n") == 1, proc.stderr
    assert not (repo / "pwned").exists() and not Path(os.getcwd(), "pwned").exists()
    assert _outside(tmp_path, repo) == before
    git(repo, "checkout", "-q", "--", ".")
