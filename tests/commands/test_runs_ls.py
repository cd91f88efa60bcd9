"""``gitops-ml runs ls``: the table, --here, an empty repository, a corrupt record."""

from __future__ import annotations

import fcntl
import os
import pty
import struct
import subprocess
import sys
import termios
from pathlib import Path

import pytest

from gitops_ml.commands import runs_ls
from gitops_ml.core.errors import UsageError
from tests.conftest import cli, cli_json, git, make_project, run_ids, write

CORRUPT_ID = "01ARZ3NDEKTSV4RRFFQ69G5FAV"


def add_corrupt_run(repo: Path) -> None:
    """A ref under refs/runs/ pointing at a commit whose message is not a record."""
    tree = git(repo, "hash-object", "-t", "tree", "/dev/null", "-w").strip()
    commit = git(repo, "commit-tree", tree, "-m", "just a commit\n\nnot json").strip()
    git(repo, "update-ref", f"refs/runs/{CORRUPT_ID}", commit)


def test_table(project: Path) -> None:
    for lr in (0.1, 0.7):
        assert (
            cli(
                project, "run", "-n", f"n{lr}", "-p", f"lr={lr}", "--", sys.executable, "train.py"
            ).returncode
            == 0
        )
    proc = cli(project, "runs", "ls", "--sort", "-metrics.accuracy")
    assert proc.returncode == 0, proc.stderr
    lines = proc.stdout.splitlines()
    assert lines[0].split() == [
        "run",
        "name",
        "started",
        "status",
        "lr",
        "seed",
        "accuracy",
        "loss",
    ]
    ids = run_ids(project)
    assert lines[1].split()[0] == ids[0][:10] and "n0.1" in lines[1] and "0.99" in lines[1]
    assert lines[2].split()[0] == ids[1][:10] and "0.93" in lines[2]


def test_empty_repositories(tmp_path: Path) -> None:
    unborn = make_project(tmp_path / "unborn", commit=False)
    for repo in (unborn, make_project(tmp_path / "committed")):
        proc = cli(repo, "runs", "ls")
        assert proc.returncode == 0 and proc.stderr == ""
        assert proc.stdout.startswith("no runs yet")
        assert cli_json(repo, "runs", "ls") == []
        assert cli_json(repo, "runs", "ls", "--here") == []


def test_here_narrows_to_head(project: Path) -> None:
    assert cli(project, "run", "-n", "old", "--", "true").returncode == 0
    git(project, "commit", "-q", "--allow-empty", "-m", "next")
    assert cli(project, "run", "-n", "new", "--", "true").returncode == 0
    assert [r["name"] for r in cli_json(project, "runs", "ls")] == ["new", "old"]
    assert [r["name"] for r in cli_json(project, "runs", "ls", "--here")] == ["new"]


def test_corrupt_record_is_skipped_with_one_warning(project: Path) -> None:
    assert cli(project, "run", "-n", "good", "--", "true").returncode == 0
    add_corrupt_run(project)
    proc = cli(project, "runs", "ls")
    assert proc.returncode == 0
    warnings = proc.stderr.splitlines()
    assert len(warnings) == 1 and CORRUPT_ID in warnings[0] and "warning" in warnings[0]
    assert "good" in proc.stdout and CORRUPT_ID[:10] not in proc.stdout
    proc = cli(project, "runs", "ls", "--json")
    assert [r["name"] for r in __import__("json").loads(proc.stdout)] == ["good"]
    assert proc.stderr.count("\n") == 1


# ---------------------------------------------------------------- hostile and odd records

import json as _json  # noqa: E402
import random  # noqa: E402

from tests.runs.helpers import new_id, record, write_run  # noqa: E402

MALFORMED = ({"schema": "2.0"}, {"git": "x"}, {"params": [1]})


def test_malformed_records_are_skipped_with_one_warning_each(project: Path) -> None:
    assert cli(project, "run", "-n", "good", "--", "true").returncode == 0
    rng = random.Random(1)
    bad = {}
    for fields in MALFORMED:
        run_id = new_id(rng)
        write_run(project, run_id, record(run_id, **fields))
        bad[run_id] = next(iter(fields))
    for args in (["runs", "ls"], ["runs", "ls", "--json"], ["status"], ["status", "--json"]):
        proc = cli(project, *args)
        assert proc.returncode == 0, (args, proc.stderr)
        warnings = proc.stderr.splitlines()
        assert len(warnings) == 3, (args, warnings)
        for run_id, field in bad.items():
            [line] = [w for w in warnings if run_id in w]
            assert line.startswith("gitops-ml: warning: ") and f"'{field}'" in line
    assert [r["name"] for r in cli_json(project, "runs", "ls")] == ["good"]
    assert cli_json(project, "status")["runs"] == 1
    # the runs themselves: one line, exit 3, naming what is wrong
    for run_id, field in bad.items():
        proc = cli(project, "runs", "show", run_id)
        assert proc.returncode == 3 and proc.stderr.count("\n") == 1
        assert run_id in proc.stderr and f"'{field}'" in proc.stderr


def test_ref_that_is_not_a_run_id_is_ignored_and_commands_are_quoted(project: Path) -> None:
    assert cli(project, "run", "-n", "good", "--", "true").returncode == 0
    write_run(project, "X", record("X"), ref="refs/runs/$(touch${IFS}pwned)")
    proc = cli(project, "status")
    assert proc.returncode == 0
    assert proc.stderr.count("\n") == 1 and "not a run id" in proc.stderr
    assert "$(touch" not in proc.stdout
    [line] = [ln for ln in proc.stdout.splitlines() if "gitops-ml reproduce" in ln]
    assert line.strip().startswith("gitops-ml reproduce ") and line.strip().endswith(" --verify")
    assert len(cli_json(project, "runs", "ls")) == 1
    assert not (project / "pwned").exists()


def test_terminal_escapes_are_never_printed(project: Path) -> None:
    evil = "\x1b[2J\x1b]0;owned\x07\rname\u202e"
    run_id = new_id(random.Random(2))
    write_run(
        project,
        run_id,
        record(
            run_id,
            name=evil,
            tags=[f"t{evil}"],
            params={f"p{evil}": evil},
            metrics={"accuracy": 0.5},
            command=["echo", evil],
            user={"name": evil, "email": f"{evil}@x"},
        ),
    )
    git(
        project,
        "notes",
        "--ref=gitops-ml",
        "append",
        "-m",
        _json.dumps({"type": "tag", "tag": f"n{evil}"}),
        f"refs/runs/{run_id}",
    )
    for args in (
        ["runs", "ls"],
        ["runs", "ls", "--all"],
        ["runs", "show", run_id],
        ["status"],
        ["runs", "diff", run_id, run_id],
        ["runs", "diff", "--md", run_id, run_id],
    ):
        proc = cli(project, *args)
        assert proc.returncode == 0, (args, proc.stderr)
        for char in ("\x1b", "\x07", "\r", "\u202e"):
            assert char not in proc.stdout + proc.stderr, (args, char)
        assert "\\x1b" in proc.stdout or args[:2] == ["runs", "diff"], args
    shown = cli(project, "runs", "show", run_id).stdout
    assert "tags      t\\x1b" in shown and "n\\x1b" in shown
    # JSON keeps the exact values (it escapes them itself)
    [row] = cli_json(project, "runs", "ls")
    assert row["name"] == evil


def test_non_finite_metrics_sort_last_and_json_is_strict(project: Path) -> None:
    rng = random.Random(3)
    values = {"a": 0.5, "b": float("nan"), "c": 0.9, "d": float("inf"), "e": 0.1}
    ids = {}
    for i, (name, acc) in enumerate(values.items()):
        run_id = new_id(rng, ms=1_700_000_000_000 + i)
        ids[name] = run_id
        write_run(project, run_id, record(run_id, name=name, metrics={"accuracy": acc}))
    no_constants = {"parse_constant": lambda c: (_ for _ in ()).throw(ValueError(c))}
    for args in (
        ["runs", "ls", "--json"],
        ["runs", "ls", "--json", "--sort", "-metrics.accuracy"],
        ["runs", "show", "--json", ids["b"]],
        ["status", "--json"],
        ["runs", "diff", "--json", ids["a"], ids["b"]],
    ):
        proc = cli(project, *args)
        assert proc.returncode == 0, (args, proc.stderr)
        _json.loads(proc.stdout, **no_constants)  # strict RFC 8259: no NaN/Infinity tokens
    order = [r["name"] for r in cli_json(project, "runs", "ls", "--sort", "-metrics.accuracy")]
    assert order[:3] == ["c", "a", "e"] and set(order[3:]) == {"b", "d"}
    order = [r["name"] for r in cli_json(project, "runs", "ls", "--sort", "metrics.accuracy")]
    assert order[:3] == ["e", "a", "c"]
    nan = [
        r["name"] for r in cli_json(project, "runs", "ls", "--where", "metrics.accuracy == 'NaN'")
    ]
    assert nan == ["b"]
    assert [
        r["name"] for r in cli_json(project, "runs", "ls", "--where", "metrics.accuracy > 0.4")
    ] == ["c", "a"]
    write(project / "gitops-ml.yaml", "primary: accuracy\n")
    page = cli_json(project, "status")
    assert [b["name"] for b in page["best"]] == ["c", "a", "e"]


@pytest.mark.parametrize(
    "where",
    [
        "name == -'x'",
        "not " * 5000 + "name",
        "(" * 300 + "1" + ")" * 300,
        "name == 'a\x01b' or \x01",
        "x" * 20000,
    ],
)
def test_hostile_where_exits_2(project: Path, where: str) -> None:
    assert cli(project, "run", "--", "true").returncode == 0
    proc = cli(project, "runs", "ls", "--where", where)
    assert proc.returncode == 2, proc.stderr
    assert proc.stderr.count("\n") == 1 and "--where" in proc.stderr


def test_table_shows_a_screenful_with_a_footer(project: Path) -> None:
    rng = random.Random(4)
    for i in range(25):
        run_id = new_id(rng, ms=1_700_000_000_000 + i)
        write_run(project, run_id, record(run_id, name=f"r{i}", params={"i": i}))
    lines = cli(project, "runs", "ls").stdout.splitlines()
    assert len(lines) == 1 + 20 + 1
    assert lines[1].split()[1] == "r24" and lines[20].split()[1] == "r5"
    assert lines[-1] == "... 5 more runs (showing 20 of 25; --limit N or --all for more)"
    assert len(cli(project, "runs", "ls", "--all").stdout.splitlines()) == 26
    lines = cli(
        project, "runs", "ls", "--limit", "3", "--where", "params.i >= 10"
    ).stdout.splitlines()
    assert len(lines) == 5 and lines[-1].startswith("... 12 more runs (showing 3 of 15")
    assert len(cli_json(project, "runs", "ls")) == 25  # JSON lists everything


def test_where_matching_nothing_says_so(project: Path) -> None:
    assert cli(project, "run", "-n", "one", "--", "true").returncode == 0
    proc = cli(project, "runs", "ls", "--where", "name == 'nope'")
    assert proc.returncode == 0
    assert proc.stdout.startswith("no runs match --where (1 runs in all")
    assert "no runs yet" not in proc.stdout


def test_tag_facts_are_shown_and_matched(project: Path) -> None:
    assert cli(project, "run", "-n", "a", "-t", "grid", "--", "true").returncode == 0
    assert cli(project, "run", "-n", "b", "--", "true").returncode == 0
    a, b = run_ids(project)
    for line in (
        {"type": "tag", "tag": "prod"},
        {"type": "tag", "tag": "grid", "remove": True},
    ):
        git(
            project, "notes", "--ref=gitops-ml", "append", "-m", _json.dumps(line), f"refs/runs/{a}"
        )
    git(
        project,
        "notes",
        "--ref=gitops-ml",
        "append",
        "-m",
        '{"type":"tag","tag":"new"}',
        f"refs/runs/{b}",
    )
    names = lambda where: [r["name"] for r in cli_json(project, "runs", "ls", "--where", where)]  # noqa: E731
    assert names("'prod' in tags") == ["a"]
    assert names("'grid' in tags") == []  # removed by a later fact
    assert names("'new' in tags or 'prod' in tags") == ["b", "a"]
    assert cli_json(project, "runs", "ls", "--where", "name == 'a'")[0]["tags"] == ["prod"]
    table = cli(project, "runs", "ls").stdout.splitlines()
    assert table[0].split()[4] == "tags" and table[2].split()[5] == "prod"  # started: 2 words
    assert "tags      prod" in cli(project, "runs", "show", a).stdout


def test_limit_zero_negative_and_where_in_an_empty_repository(project: Path) -> None:
    proc = cli(project, "runs", "ls", "--where", "name == 'x'")
    assert proc.returncode == 0 and proc.stdout.startswith("no runs yet")  # none in all
    assert cli(project, "run", "-n", "one", "--", "true").returncode == 0
    proc = cli(project, "runs", "ls", "--limit", "0")
    assert proc.returncode == 0 and proc.stdout == "" and proc.stderr == ""
    for args in (("--limit", "-1"), ("--limit", "-1", "--json")):
        proc = cli(project, "runs", "ls", *args)
        assert proc.returncode == 2
        assert proc.stderr.strip().splitlines() == ["gitops-ml: error: --limit must be 0 or more"]
        assert proc.stdout == ""


def test_columns_are_the_params_that_vary(project: Path) -> None:
    """Beyond six params, only those that differ between the runs get a column; a record
    without params shows '-' there."""
    rng = random.Random(7)
    fixed = {f"k{i}": i for i in range(7)}
    ids = [new_id(rng, ms=1_700_000_000_000 + i) for i in range(3)]
    write_run(project, ids[0], record(ids[0], name="a", params={**fixed, "lr": 0.1}))
    write_run(project, ids[1], record(ids[1], name="b", params={**fixed, "lr": 0.2}))
    write_run(project, ids[2], record(ids[2], name="c", params=None))
    lines = cli(project, "runs", "ls").stdout.splitlines()
    assert lines[0].split() == ["run", "name", "started", "status", "lr"]
    assert [line.split()[1] for line in lines[1:]] == ["c", "b", "a"]
    assert [line.split()[-1] for line in lines[1:]] == ["-", "0.2", "0.1"]


def test_select_filters_sorts_and_cuts_in_python() -> None:
    rng = random.Random(9)
    ids = [new_id(rng, ms=1_700_000_000_000 + i) for i in range(4)]
    runs = [record(i, name=f"r{n}", metrics={"acc": n / 10}) for n, i in enumerate(ids)]
    got = runs_ls.select(runs, "metrics.acc >= 0.1", None, 2)
    assert [r["name"] for r in got] == ["r3", "r2"]  # newest first, cut to 2
    assert all(r["status"] == "ok" for r in got)
    got = runs_ls.select(runs, None, "metrics.acc", None)
    assert [r["name"] for r in got] == ["r0", "r1", "r2", "r3"]
    with pytest.raises(UsageError, match="--limit must be 0 or more"):
        runs_ls.select(runs, None, None, -1)


def test_on_a_terminal_the_table_fits_the_screen(project: Path) -> None:
    rng = random.Random(5)
    for i in range(12):
        run_id = new_id(rng, ms=1_700_000_000_000 + i)
        write_run(project, run_id, record(run_id, name=f"r{i}", params={"i": i}))
    leader, follower = pty.openpty()
    fcntl.ioctl(follower, termios.TIOCSWINSZ, struct.pack("HHHH", 10, 120, 0, 0))
    proc = subprocess.run(
        ["gitops-ml", "runs", "ls"], cwd=project, stdout=follower, stderr=subprocess.PIPE
    )
    os.close(follower)
    out = b""
    while True:
        try:
            chunk = os.read(leader, 65536)
        except OSError:  # the terminal is closed once everything is read
            break
        if not chunk:
            break
        out += chunk
    os.close(leader)
    assert proc.returncode == 0, proc.stderr
    lines = out.decode().splitlines()
    assert len(lines) == 1 + 6 + 1  # 10 lines: header, 6 runs, footer (and the prompt)
    assert [line.split()[1] for line in lines[1:7]] == [f"r{i}" for i in range(11, 5, -1)]
    assert lines[-1] == "... 6 more runs (showing 6 of 12; --limit N or --all for more)"
