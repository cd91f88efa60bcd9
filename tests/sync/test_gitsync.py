"""Sync through real remotes: a path, file://, git daemon on loopback; real clones, real races."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

from tests.conftest import cli, git, make_project, run_ids, write
from tests.git_daemon import git_daemon, refused_url


def _clone(remote: str | Path, where: Path) -> Path:
    git(where.parent, "clone", "-q", str(remote), str(where))
    return where


def _published(tmp_path: Path, remote: str | Path) -> Path:
    """A project pushed to ``remote`` (its main branch), cloned back as 'a'."""
    src = make_project(tmp_path / "src")
    git(src, "push", "-q", str(remote), "HEAD:refs/heads/main")
    return _clone(remote, tmp_path / "a")


def _run(repo: Path, lr: float) -> None:
    proc = cli(repo, "run", "-p", f"lr={lr}", "--", "python", "train.py")
    assert proc.returncode == 0, proc.stderr


def _sync(repo: Path, *args: str) -> subprocess.CompletedProcess[str]:
    proc = cli(repo, "sync", *args)
    assert proc.returncode == 0, proc.stderr
    return proc


def notes_lines(repo: Path) -> set[tuple[str, str]]:
    """Every (annotated commit, line) of refs/notes/gitops-ml."""
    out = git(repo, "notes", "--ref=gitops-ml", "list", check=False)
    lines = set()
    for row in out.splitlines():
        blob, target = row.split()
        for line in git(repo, "cat-file", "-p", blob).splitlines():
            if line.strip():
                lines.add((target, line))
    return lines


def _fact(repo: Path, run_id: str, tag: str) -> None:
    """A fact on a run, as any writer appends one (plain git here)."""
    line = json.dumps({"type": "tag", "tag": tag}, separators=(",", ":"))
    git(repo, "notes", "--ref=gitops-ml", "append", "-m", line, f"refs/runs/{run_id}")


def test_path_remote_both_ways(tmp_path: Path, bare_remote: Path) -> None:
    a = _published(tmp_path, bare_remote)
    b = _clone(bare_remote, tmp_path / "b")
    _run(a, 0.1)
    _fact(a, run_ids(a)[0], "from-a")
    first = _sync(a)
    assert "1 pushed" in first.stdout and "notes" in first.stdout
    assert "environments pushed" in first.stdout
    assert run_ids(bare_remote) == run_ids(a)
    _run(b, 0.2)
    _sync(b)
    _fact(b, run_ids(a)[0], "from-b")
    _sync(b)
    _sync(a)
    assert run_ids(a) == run_ids(b) == run_ids(bare_remote)
    assert len(run_ids(a)) == 2
    assert notes_lines(a) == notes_lines(b) == notes_lines(bare_remote)
    # both clones added a fact to the same run: its note holds both lines, merged
    run_commit = git(a, "rev-parse", f"refs/runs/{run_ids(a)[0]}").strip()
    tags = {json.loads(line)["tag"] for target, line in notes_lines(a) if target == run_commit}
    assert tags == {"from-a", "from-b"}
    envs = "refs/gitops-ml/environments"
    assert (
        git(a, "rev-parse", envs)
        == git(b, "rev-parse", envs)
        == git(bare_remote, "rev-parse", envs)
    )
    assert "already up to date" in _sync(a).stdout
    # the remote's notes came in through a tracking ref; the local notes were never forced
    assert git(a, "rev-parse", "--verify", "-q", "refs/notes/remotes/origin/gitops-ml").strip()


def test_file_url_and_explicit_remote(tmp_path: Path, bare_remote: Path) -> None:
    a = make_project(tmp_path / "a")
    _run(a, 0.1)
    proc = _sync(a, f"file://{bare_remote}")
    assert "1 pushed" in proc.stdout
    assert run_ids(bare_remote) == run_ids(a)
    other = tmp_path / "other.git"
    git(tmp_path, "init", "-q", "--bare", str(other))
    git(a, "remote", "add", "backup", str(other))
    _sync(a, "backup")
    assert run_ids(other) == run_ids(a)


def test_git_daemon_network_remote(tmp_path: Path) -> None:
    served = tmp_path / "served"
    served.mkdir()
    git(served, "init", "-q", "--bare", "proj.git")
    with git_daemon(served) as (base_url, _):
        url = f"{base_url}/proj.git"
        a = _published(tmp_path, url)
        b = _clone(url, tmp_path / "b")
        _run(a, 0.1)
        _run(b, 0.2)
        _sync(a)
        _sync(b)
        _sync(a)
        assert run_ids(a) == run_ids(b) == run_ids(served / "proj.git")
        assert len(run_ids(a)) == 2
        assert notes_lines(a) == notes_lines(b) == notes_lines(served / "proj.git")


def test_daemon_without_receive_pack_is_a_permission_error(tmp_path: Path) -> None:
    served = tmp_path / "served"
    served.mkdir()
    git(served, "init", "-q", "--bare", "proj.git")
    a = make_project(tmp_path / "a")
    _run(a, 0.1)
    with git_daemon(served, receive_pack=False) as (base_url, _):
        git(a, "remote", "add", "origin", f"{base_url}/proj.git")
        proc = cli(a, "sync")
    assert proc.returncode == 3
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1, proc.stderr
    assert "no permission to push to origin (git://127.0.0.1" in lines[0]
    assert "Traceback" not in proc.stderr


def test_unreachable_remote_is_one_line_exit_3(tmp_path: Path) -> None:
    a = make_project(tmp_path / "a")
    git(a, "remote", "add", "origin", refused_url())
    proc = cli(a, "sync")
    assert proc.returncode == 3
    assert proc.stderr.count("\n") == 1
    assert "cannot reach remote origin (git://127.0.0.1:" in proc.stderr
    assert "Connection refused" in proc.stderr
    git(a, "remote", "set-url", "origin", str(tmp_path / "missing.git"))
    proc = cli(a, "sync")
    assert proc.returncode == 3
    assert "does not appear to be a git repository" in proc.stderr


def test_credentials_in_url_are_never_printed(tmp_path: Path) -> None:
    a = make_project(tmp_path / "a")
    port_url = refused_url().replace("git://", "http://user:s3cret-token@")
    git(a, "remote", "add", "origin", port_url)
    proc = cli(a, "sync")
    assert proc.returncode == 3
    assert "s3cret-token" not in proc.stderr + proc.stdout
    assert "***@127.0.0.1" in proc.stderr


def test_conflicting_run_is_reported_and_local_kept(tmp_path: Path, bare_remote: Path) -> None:
    a = _published(tmp_path, bare_remote)
    _run(a, 0.1)
    _sync(a)
    run_id = run_ids(a)[0]
    mine = git(a, "rev-parse", f"refs/runs/{run_id}").strip()
    # forge a different commit under the same run id on the remote
    forged = git(a, "commit-tree", "HEAD^{tree}", "-m", "forged").strip()
    git(a, "push", "-q", "--force", str(bare_remote), f"{forged}:refs/runs/{run_id}")
    proc = cli(a, "sync")
    assert proc.returncode == 1
    assert f"run {run_id} differs on origin" in proc.stderr
    assert git(a, "rev-parse", f"refs/runs/{run_id}").strip() == mine
    assert git(bare_remote, "rev-parse", f"refs/runs/{run_id}").strip() == forged


def _deploy(repo: Path, env: str, run_id: str, by: str = "a") -> str:
    ref = f"refs/deploy/{env}"
    parent = git(repo, "rev-parse", "-q", "--verify", ref, check=False).strip()
    tree = git(repo, "hash-object", "-t", "tree", "-w", "--stdin", input="").strip()
    message = f"deploy {env}: {run_id}\n\n" + json.dumps(
        {"run": run_id, "environment": env, "by": by}
    )
    args = ["commit-tree", tree, "-m", message] + (["-p", parent] if parent else [])
    commit = git(repo, *args).strip()
    git(repo, "update-ref", ref, commit)
    return commit


def test_deploy_chains_fast_forward_and_divergence(tmp_path: Path, bare_remote: Path) -> None:
    a = _published(tmp_path, bare_remote)
    b = _clone(bare_remote, tmp_path / "b")
    _run(a, 0.1)
    run_id = run_ids(a)[0]
    first = _deploy(a, "prod", run_id)
    assert "deploy/prod pushed" in _sync(a).stdout
    assert "deploy/prod updated" in _sync(b).stdout
    assert git(b, "rev-parse", "refs/deploy/prod").strip() == first
    second = _deploy(b, "prod", run_id)
    _sync(b)
    _sync(a)
    assert git(a, "rev-parse", "refs/deploy/prod").strip() == second
    # now both deploy on top of 'second' without syncing: the chains diverge
    mine = _deploy(a, "prod", run_id)
    theirs = _deploy(b, "prod", run_id, by="b")
    _sync(b)
    proc = cli(a, "sync")
    assert proc.returncode == 1
    assert "deploy chain prod has diverged from origin" in proc.stderr
    assert git(a, "rev-parse", "refs/deploy/prod").strip() == mine
    assert git(bare_remote, "rev-parse", "refs/deploy/prod").strip() == theirs


def test_concurrent_clones_runs_and_syncs(tmp_path: Path, bare_remote: Path) -> None:
    """Two clones record runs in the background while both sync repeatedly, some syncs
    at the same time in the same clone: nothing is lost anywhere."""
    a = _published(tmp_path, bare_remote)
    b = _clone(bare_remote, tmp_path / "b")
    runs_loop = (
        "for lr in 0.1 0.2 0.3 0.4; do gitops-ml run -p lr=$lr -- python train.py || exit 1; done"
    )
    sync_loop = "for i in 1 2 3; do gitops-ml sync || exit 1; sleep 0.1; done"
    procs = []
    for repo in (a, b):
        procs.append(
            subprocess.Popen(
                ["bash", "-c", runs_loop],
                cwd=repo,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
            )
        )
    for repo in (a, b, a):  # two sync loops in 'a' run at the same time
        procs.append(
            subprocess.Popen(
                ["bash", "-c", sync_loop],
                cwd=repo,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
            )
        )
    for proc in procs:
        _, err = proc.communicate(timeout=180)
        assert proc.returncode == 0, err
    for repo in (a, b, a):
        _sync(repo)
    assert len(run_ids(a)) == 8
    assert run_ids(a) == run_ids(b) == run_ids(bare_remote)
    lines = notes_lines(a)
    assert lines == notes_lines(b) == notes_lines(bare_remote)
    envs = "refs/gitops-ml/environments"
    assert (
        git(a, "rev-parse", envs)
        == git(b, "rev-parse", envs)
        == git(bare_remote, "rev-parse", envs)
    )
    for run_id in run_ids(a):  # every run's environment is readable in every clone
        for repo in (a, b):
            shown = cli(repo, "runs", "show", run_id, "--json")
            assert shown.returncode == 0 and json.loads(shown.stdout)["environment"]["python"]


def test_notes_survive_amend_and_rebase(tmp_path: Path) -> None:
    repo = make_project(tmp_path / "p")
    assert cli(repo, "init").returncode == 0  # sets notes.rewriteRef
    git(repo, "checkout", "-q", "-b", "feature")
    write(repo / "feature.py", "x = 1\n")
    git(repo, "add", "feature.py")
    git(repo, "commit", "-q", "-m", "feature")
    write(repo / "feature.py", "x = 22\n")  # a run on uncommitted code (another size)
    assert cli(repo, "run", "--", "python", "train.py").returncode == 0
    run_id = run_ids(repo)[0]
    # the run's code committed: link-commit notes it on the new commit
    git(repo, "commit", "-q", "-a", "-m", "the run's code")
    assert cli(repo, "hook", "link-commit").returncode == 0
    git(repo, "commit", "-q", "--amend", "-m", "the run's code, amended")
    amended = git(repo, "rev-parse", "HEAD").strip()
    assert run_id in git(repo, "notes", "--ref=gitops-ml", "show", amended)
    git(repo, "checkout", "-q", "main")
    write(repo / "other.py", "y = 2\n")
    git(repo, "add", "other.py")
    git(repo, "commit", "-q", "-m", "other")
    git(repo, "checkout", "-q", "feature")
    git(repo, "rebase", "-q", "main")
    rebased = git(repo, "rev-parse", "HEAD").strip()
    assert rebased != amended
    assert run_id in git(repo, "notes", "--ref=gitops-ml", "show", rebased)
    assert run_id in git(repo, "log", "-1", "--notes=gitops-ml")
