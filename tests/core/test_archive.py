"""Runs compacted into refs/gitops-ml/archive: any id still resolves; concurrent writers
and racing compactions lose nothing; archives travel and merge through sync; a plain
branch push no longer sees one ref per run."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from gitops_ml.core import ids
from tests.conftest import cli, cli_json, git, make_project

ARCH = "refs/gitops-ml/archive"


def _runs(repo: Path, n: int) -> None:
    for _ in range(n):
        assert cli(repo, "run", "--", "true").returncode == 0


def _ref_ids(repo: Path) -> list[str]:
    return sorted(git(repo, "for-each-ref", "--format=%(refname:lstrip=2)", "refs/runs/").split())


def _parallel(
    repo: Path, commands: list[list[str]], env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    """Start every ``gitops-ml`` command at once; the worst exit code, all stderr."""
    script = (
        "import json, os, subprocess, sys\n"
        "env = {**os.environ, **json.loads(sys.argv[1])}\n"
        "procs = [subprocess.Popen(['gitops-ml', *c], env=env) for c in json.loads(sys.argv[2])]\n"
        "sys.exit(max(p.wait() for p in procs))\n"
    )
    return subprocess.run(
        [sys.executable, "-c", script, json.dumps(env or {}), json.dumps(commands)],
        cwd=repo,
        capture_output=True,
        text=True,
    )


def _listed(repo: Path) -> list[str]:
    return sorted(r["id"] for r in cli_json(repo, "runs", "ls", "--json"))


def test_compact_keeps_every_run_resolvable(project: Path) -> None:
    _runs(project, 5)
    before = _listed(project)
    proc = cli(project, "runs", "compact", "--keep", "2")
    assert proc.returncode == 0, proc.stderr
    assert "3 runs moved" in proc.stdout
    assert _ref_ids(project) == before[-2:]  # the newest kept as refs
    assert _listed(project) == before
    # the archive index names each archived run's commit; the octopus keeps it reachable
    tree = git(project, "ls-tree", "-r", ARCH).splitlines()
    assert sorted(t.split("/")[-1] for t in tree) == before[:3]
    parents = git(project, "rev-list", "--parents", "-n1", ARCH).split()[1:]
    assert len(parents) == 3
    # dated by the newest run it holds (its id's time), not by the compaction: git's
    # newest-first walk then reaches each octopus's runs before the commit below it
    dated = int(git(project, "log", "-1", "--format=%at %ct", ARCH).split()[1])
    assert dated == max(ids.started_ms(i) or 0 for i in before[:3]) // 1000
    assert git(project, "log", "-1", "--format=%at", ARCH).strip() == str(dated)
    shown = cli_json(project, "runs", "show", before[0][:12], "--json")
    assert shown["id"] == before[0] and shown["environment"]["python"]
    git(project, "gc", "-q", "--prune=now")
    assert git(project, "fsck", "--no-dangling").strip() == ""
    assert _listed(project) == before  # nothing pruned
    again = cli(project, "runs", "compact", "--keep", "2")
    assert "0 runs moved" in again.stdout  # idempotent
    tagged = cli(project, "runs", "tag", before[0], "old")
    assert tagged.returncode == 0, tagged.stderr


def test_compaction_under_concurrent_writers(project: Path) -> None:
    """Runs recorded while two compactions race: every run is kept, once."""
    _runs(project, 3)
    proc = _parallel(project, [["run", "--", "true"]] * 4 + [["runs", "compact"]] * 3)
    assert proc.returncode == 0, proc.stderr
    ids = _listed(project)
    assert len(ids) == 7 == len(set(ids))
    assert cli(project, "runs", "compact").returncode == 0
    assert _ref_ids(project) == [] and _listed(project) == ids
    assert git(project, "fsck", "--no-dangling").strip() == ""


def test_archives_travel_and_merge_through_sync(tmp_path: Path, bare_remote: Path) -> None:
    src = make_project(tmp_path / "src")
    git(src, "push", "-q", str(bare_remote), "HEAD:refs/heads/main")
    a = tmp_path / "a"
    b = tmp_path / "b"
    for where in (a, b):
        git(tmp_path, "clone", "-q", str(bare_remote), str(where))
    _runs(a, 3)
    assert cli(a, "runs", "compact").returncode == 0
    _runs(b, 2)
    assert cli(b, "runs", "compact").returncode == 0  # two archives that diverge
    for repo in (a, b, a):
        proc = cli(repo, "sync")
        assert proc.returncode == 0, proc.stderr
    assert _listed(a) == _listed(b) and len(_listed(a)) == 5
    assert (
        git(a, "rev-parse", ARCH)
        == git(b, "rev-parse", ARCH)
        == git(bare_remote, "rev-parse", ARCH)
    )
    # the remote holds the runs through the one archive ref
    assert git(bare_remote, "for-each-ref", "refs/runs/") == ""
    # a fresh clone's first sync gets them all
    c = tmp_path / "c"
    git(tmp_path, "clone", "-q", str(bare_remote), str(c))
    assert cli(c, "sync").returncode == 0
    assert _listed(c) == _listed(a)


def test_sync_archives_many_runs_and_clears_an_old_remote(
    tmp_path: Path, bare_remote: Path
) -> None:
    """A remote written by an older version (a ref per run): once more runs than the
    threshold gather, sync archives them, pushes the archive and deletes those refs."""
    repo = make_project(tmp_path / "p")
    git(repo, "remote", "add", "origin", str(bare_remote))
    git(repo, "push", "-q", "origin", "HEAD:refs/heads/main")
    _runs(repo, 3)
    git(repo, "push", "-q", "origin", "refs/runs/*:refs/runs/*")  # as 0.1 did
    assert len(git(bare_remote, "for-each-ref", "refs/runs/").splitlines()) == 3
    proc = cli(repo, "sync", env={"GITOPS_ML_ARCHIVE_ABOVE": "1"})
    assert proc.returncode == 0, proc.stderr
    assert git(bare_remote, "for-each-ref", "refs/runs/") == ""
    listing = git(bare_remote, "ls-tree", "-r", "--name-only", ARCH).split()
    assert sorted(p.split("/")[1] for p in listing) == _listed(repo)


def test_a_forged_remote_archive_is_refused_and_nothing_merged(
    tmp_path: Path, bare_remote: Path
) -> None:
    """An archive whose tree holds something other than ``<xx>/<run id>`` gitlinks, or
    gitlinks to commits that never arrived, is refused: no archive ref, no runs gained."""
    repo = make_project(tmp_path / "p")
    git(repo, "remote", "add", "origin", str(bare_remote))
    git(repo, "push", "-q", "origin", "HEAD:refs/heads/main")
    evil = make_project(tmp_path / "evil")
    blob = git(evil, "hash-object", "-w", "--stdin", input="hello\n").strip()
    tree = git(evil, "mktree", input=f"100644 blob {blob}\tREADME\n").strip()
    forged = git(evil, "commit-tree", tree, "-m", "archive").strip()
    git(evil, "push", "-q", "--force", str(bare_remote), f"{forged}:{ARCH}")
    proc = cli(repo, "sync")
    assert proc.returncode == 1, proc.stderr
    assert f"refused the remote's {ARCH}: entry 'README' is not <xx>/<run id>" in proc.stderr
    assert git(repo, "for-each-ref", ARCH) == ""
    # with an archive here: only the entries new to this clone are read, and checked
    _runs(repo, 2)
    assert cli(repo, "runs", "compact").returncode == 0
    mine = git(repo, "rev-parse", ARCH).strip()
    listed = _listed(repo)
    ghost_id = "01ARZ3NDEKTSV4RRFFQ69G5FAV"
    ghost = "c0ffee" * 6 + "c0ff"  # a commit nobody sent
    sub = git(evil, "mktree", "--missing", input=f"160000 commit {ghost}\t{ghost_id}\n").strip()
    root = git(evil, "mktree", input=f"040000 tree {sub}\t{ghost_id[-2:]}\n").strip()
    forged = git(evil, "commit-tree", root, "-m", "archive").strip()
    git(evil, "push", "-q", "--force", str(bare_remote), f"{forged}:{ARCH}")
    proc = cli(repo, "sync")
    assert proc.returncode == 1, proc.stderr
    assert f"refused the remote's {ARCH}: it names run commits that were not sent" in (proc.stderr)
    assert git(repo, "rev-parse", ARCH).strip() == mine and _listed(repo) == listed


def test_a_lost_or_garbled_archive_cache_is_rebuilt(project: Path) -> None:
    """``.git/gitops-ml/archive.bin`` is derived: missing or unreadable, it is rebuilt from
    the archive tree and every archived run still resolves."""
    _runs(project, 3)
    assert cli(project, "runs", "compact").returncode == 0
    ids = _listed(project)
    cache = project / ".git" / "gitops-ml" / "archive.bin"
    assert cache.is_file()
    for damage in (cache.unlink, lambda: cache.write_bytes(b"\x00garbage")):
        damage()
        for run_id in ids:
            proc = cli(project, "runs", "show", run_id[:14], "--json")
            assert proc.returncode == 0, proc.stderr
            assert json.loads(proc.stdout)["id"] == run_id
        assert cache.read_bytes() != b"\x00garbage" and cache.stat().st_size > 0


def test_recording_archives_run_refs_past_the_threshold(project: Path) -> None:
    """Recording moves the run refs into the archive once more than the threshold gather:
    a clone that never syncs still holds a bounded number of refs, every id resolving."""
    env = {"GITOPS_ML_COMPACT_ABOVE": "3"}
    for _ in range(3):
        assert cli(project, "run", "--", "true", env=env).returncode == 0
    assert len(_ref_ids(project)) == 3  # at the threshold: left as refs
    fourth = cli(project, "run", "--", "true", env=env)
    assert fourth.returncode == 0, fourth.stderr
    listed = _listed(project)
    assert len(listed) == 4 and _ref_ids(project) == []
    tree = git(project, "ls-tree", "-r", "--name-only", ARCH).split()
    assert sorted(t.split("/")[-1] for t in tree) == listed
    assert cli(project, "run", "--", "true", env=env).returncode == 0
    assert len(_ref_ids(project)) == 1 and len(_listed(project)) == 5
    assert cli_json(project, "runs", "show", listed[0][:12], "--json")["id"] == listed[0]


def test_packed_run_refs_count_toward_the_threshold(project: Path) -> None:
    """``git gc`` packs refs: packed run refs count too (else they would pile up)."""
    env = {"GITOPS_ML_COMPACT_ABOVE": "3"}
    _runs(project, 2)
    git(project, "pack-refs", "--all", "--prune")
    assert not list((project / ".git" / "refs" / "runs").iterdir())
    assert cli(project, "run", "--", "true", env=env).returncode == 0
    assert len(_ref_ids(project)) == 3  # 2 packed + 1 loose: not above 3
    assert cli(project, "run", "--", "true", env=env).returncode == 0
    assert _ref_ids(project) == [] and len(_listed(project)) == 4
    assert git(project, "fsck", "--no-dangling").strip() == ""


def test_recording_compactions_under_concurrent_writers(project: Path) -> None:
    """Parallel runs each past the threshold race to compact: each run is kept, once."""
    proc = _parallel(project, [["run", "--", "true"]] * 6, {"GITOPS_ML_COMPACT_ABOVE": "1"})
    assert proc.returncode == 0, proc.stderr
    assert "warning" not in proc.stderr  # a lost race is not worth a word
    ids = _listed(project)
    assert len(ids) == 6 == len(set(ids))
    assert len(_ref_ids(project)) <= 6
    assert git(project, "fsck", "--no-dangling").strip() == ""


def test_a_failed_compaction_never_fails_the_run(project: Path) -> None:
    """An archive ref that names no commit: the run is recorded, one warning, refs kept."""
    env = {"GITOPS_ML_COMPACT_ABOVE": "1"}
    _runs(project, 1)
    blob = git(project, "hash-object", "-w", "--stdin", input="not an archive\n").strip()
    git(project, "update-ref", ARCH, blob)
    proc = cli(project, "run", "--", "true", env=env)
    assert proc.returncode == 0, proc.stderr
    assert "warning: run refs not archived" in proc.stderr
    assert len(_ref_ids(project)) == 2


def test_one_recording_compacts_at_a_time(project: Path) -> None:
    """While another process holds the compaction lock, a recording past the threshold
    leaves the refs alone (no wasted rebuild); once it is free, the next one compacts."""
    import fcntl

    env = {"GITOPS_ML_COMPACT_ABOVE": "1"}
    assert cli(project, "run", "--", "true").returncode == 0
    lock = project / ".git" / "gitops-ml" / "compact.lock"
    with open(lock, "a") as held:
        fcntl.flock(held, fcntl.LOCK_EX)
        proc = cli(project, "run", "--", "true", env=env)
        assert proc.returncode == 0, proc.stderr
        assert len(_ref_ids(project)) == 2
    assert cli(project, "run", "--", "true", env=env).returncode == 0
    assert _ref_ids(project) == [] and len(_listed(project)) == 3
