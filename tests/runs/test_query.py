"""``--where`` and ``--sort`` over real recorded runs, through ``gitops-ml runs ls --json``."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

from tests.conftest import cli, cli_json

LRS = (0.1, 0.3, 0.5, 0.9)  # accuracy = 1 - lr/10: 0.99, 0.97, 0.95, 0.91


@pytest.fixture
def runs(project: Path) -> Path:
    for lr in LRS:
        tags = ["-t", "best"] if lr == 0.1 else []
        proc = cli(
            project,
            "run",
            "-n",
            f"lr{lr}",
            *tags,
            "-p",
            f"lr={lr}",
            "--",
            sys.executable,
            "train.py",
        )
        assert proc.returncode == 0, proc.stderr
    # a failed run with no metrics file of its own
    proc = cli(project, "run", "-n", "broken", "--", sys.executable, "-c", "raise SystemExit(4)")
    assert proc.returncode == 4
    return project


def lrs(repo: Path, *args: str) -> list[object]:
    return [
        r["params"].get("lr") if r["name"] != "broken" else "broken"
        for r in cli_json(repo, "runs", "ls", *args)
    ]


def test_where_sort_limit(runs: Path) -> None:
    assert lrs(
        runs, "--where", "metrics.accuracy>=0.96 and params.lr<0.5", "--sort", "params.lr"
    ) == [0.1, 0.3]
    assert lrs(
        runs, "--where", "metrics.accuracy >= 0.96 or name == 'lr0.9'", "--sort", "-params.lr"
    ) == [0.9, 0.3, 0.1]
    assert lrs(runs, "--where", "'best' in tags") == [0.1]
    assert lrs(runs, "--where", "exit_code != 0") == ["broken"]
    assert lrs(runs, "--where", "not exit_code", "--sort", "params.lr") == [0.1, 0.3, 0.5, 0.9]
    assert lrs(runs, "--where", "params['lr'] == 0.5") == [0.5]
    assert lrs(runs, "--where", "metrics.nope > 1") == []  # a missing key compares false
    # sorting: descending accuracy; runs missing the key last; --limit
    assert lrs(runs, "--sort", "-metrics.accuracy") == [0.1, 0.3, 0.5, 0.9, "broken"]
    assert lrs(runs, "--sort", "metrics.accuracy") == [0.9, 0.5, 0.3, 0.1, "broken"]
    assert lrs(runs, "--sort", "-metrics.accuracy", "--limit", "2") == [0.1, 0.3]
    assert lrs(runs, "--limit", "0") == []
    # default order: newest first
    assert lrs(runs) == ["broken", 0.9, 0.5, 0.3, 0.1]


@pytest.mark.parametrize(
    "where",
    [
        "metrics.accuracy >",
        "__import__('os').system('touch pwned')",
        "metrics.accuracy + 1 > 2",
        "lambda: 1",
    ],
)
def test_bad_where_is_one_line_exit_2(project: Path, where: str) -> None:
    proc = cli(project, "runs", "ls", "--where", where)
    assert proc.returncode == 2
    assert proc.stderr.count("\n") == 1 and "--where" in proc.stderr, proc.stderr
    assert "Traceback" not in proc.stderr
    assert not (project / "pwned").exists()


def test_json_rows_are_records(runs: Path) -> None:
    rows = cli_json(runs, "runs", "ls", "--where", "name == 'lr0.5'")
    [row] = rows
    assert row["metrics"] == {"accuracy": 0.95, "loss": 0.5}
    assert row["status"] == "ok" and row["notes"] == []
    assert row["git"]["snapshot"] and json.dumps(row)


# ---------------------------------------------------------------- fuzzing --where

import contextlib  # noqa: E402
import io  # noqa: E402
import os  # noqa: E402
import random  # noqa: E402

from hypothesis import HealthCheck, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

from gitops_ml.core import gitstore  # noqa: E402
from gitops_ml.main import main as gitops_main  # noqa: E402
from gitops_ml.runs import index, query  # noqa: E402
from tests.conftest import git, make_project  # noqa: E402
from tests.runs.helpers import new_id, record, write_run  # noqa: E402

KEYS = [
    "metrics.acc",
    "metrics.loss",
    "metrics.missing",
    "params.lr",
    "params.a.b",
    "params['a.b']",
    "params.opt",
    "name",
    "tags",
    "exit_code",
    "status",
    "git.branch",
    "user.email",
    "started",
    "params",
    "notes",
]
literals = st.one_of(
    st.integers(-3, 3).map(str),
    st.floats(-2, 2, allow_nan=False).map(lambda f: repr(round(f, 2))),
    st.sampled_from(["'a'", "'b'", "'grid'", "'ok'", "'NaN'", "''", "True", "False", "None", "x"]),
    st.lists(st.sampled_from(["1", "'a'", "0.5", "None"]), max_size=3).map(
        lambda xs: "[" + ", ".join(xs) + "]"
    ),
)
operands = st.one_of(st.sampled_from(KEYS), literals)
comparisons = st.builds(
    lambda a, op, b: f"{a} {op} {b}",
    operands,
    st.sampled_from(["==", "!=", "<", "<=", ">", ">=", "in", "not in"]),
    operands,
)
expressions = st.recursive(
    st.one_of(comparisons, operands),
    lambda inner: st.one_of(
        st.builds(lambda a: f"not ({a})", inner),
        st.builds(lambda a, b: f"({a}) and ({b})", inner, inner),
        st.builds(lambda a, b: f"({a}) or ({b})", inner, inner),
    ),
    max_leaves=6,
)


@pytest.fixture
def fuzz_repo(tmp_path: Path) -> Path:
    repo = make_project(tmp_path / "fuzz")
    rng = random.Random(7)
    specs = [
        {
            "metrics": {"acc": 0.9, "loss": 0.1},
            "params": {"lr": 0.1, "a": {"b": 1}},
            "tags": ["grid"],
        },
        {"metrics": {"acc": float("nan")}, "params": {"lr": 0.5, "a.b": 2, "opt": "adam"}},
        {"metrics": {"acc": 0.5, "loss": float("inf")}, "params": {"lr": True}, "name": "a"},
        {"metrics": {}, "params": {}, "exit_code": 3, "name": "b", "tags": ["a", "b"]},
        {"metrics": {"acc": "text"}, "params": {"lr": None, "opt": [1, "a"]}},
    ]
    for i, spec in enumerate(specs):
        run_id = new_id(rng, ms=1_700_000_000_000 + i)
        write_run(repo, run_id, record(run_id, **spec))
    git(
        repo,
        "notes",
        "--ref=gitops-ml",
        "append",
        "-m",
        '{"type":"tag","tag":"ok"}',
        f"refs/runs/{run_id}",
    )
    return repo


def _cli_in_process(repo: Path, *args: str) -> tuple[int, str, str]:
    out, err = io.BytesIO(), io.StringIO()
    stdout = io.TextIOWrapper(out, encoding="utf-8")
    cwd = os.getcwd()
    try:
        with contextlib.redirect_stdout(stdout), contextlib.redirect_stderr(err):
            code = gitops_main(["-C", str(repo), *args])
            stdout.flush()
    finally:
        os.chdir(cwd)
    return code, out.getvalue().decode(), err.getvalue()


SETTINGS = settings(
    max_examples=100, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)


@SETTINGS
@given(text=st.text(max_size=60))
def test_fuzz_any_text_exits_0_or_2(fuzz_repo: Path, text: str) -> None:
    code, out, err = _cli_in_process(fuzz_repo, "runs", "ls", "--json", f"--where={text}")
    assert code in (0, 2), err
    assert "unexpected error" not in err and "Traceback" not in err
    if code == 2:
        assert err.count("\n") == 1
    else:
        json.loads(out)


@SETTINGS
@given(text=expressions, sort=st.sampled_from([None, *KEYS[:8], "-metrics.acc", "-params.lr"]))
def test_fuzz_sql_and_python_agree(fuzz_repo: Path, text: str, sort: str | None) -> None:
    args = ["runs", "ls", "--json", f"--where={text}"] + ([f"--sort={sort}"] if sort else [])
    code, out, err = _cli_in_process(fuzz_repo, *args)
    assert code in (0, 2), err
    if code == 2:
        assert err.count("\n") == 1 and "unexpected error" not in err
        return
    got = [r["id"] for r in json.loads(out)]
    idx = index.load(gitstore.open_repo(fuzz_repo), quiet=True)
    pred = query.compile_where(text)
    runs = idx.runs()
    want = [r["id"] for r in sorted(runs, key=lambda r: r["id"], reverse=True) if pred(r)]
    if sort:
        # the order among runs whose key compares equal may differ: compare as sets there
        assert sorted(got) == sorted(want)
        ranked = query.sort_runs([r for r in runs if r["id"] in set(got)], sort)
        keyed = [query.lookup(r, sort.lstrip("-")) for r in ranked]
        shown = {r["id"]: r for r in runs}
        assert [query._sort_rank(query.lookup(shown[i], sort.lstrip("-"))) for i in got] == [
            query._sort_rank(k) for k in keyed
        ]
    else:
        assert got == want
