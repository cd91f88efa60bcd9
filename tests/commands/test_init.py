"""``gitops-ml init``: writes the config only when absent; re-running changes nothing."""

from __future__ import annotations

from pathlib import Path

from tests.conftest import cli, git


def test_init_is_idempotent(tmp_path: Path) -> None:
    repo = tmp_path / "r"
    repo.mkdir()
    git(repo, "init", "-q")
    proc = cli(repo, "init")
    assert proc.returncode == 0, proc.stderr
    assert "wrote gitops-ml.yaml" in proc.stdout
    config = (repo / "gitops-ml.yaml").read_bytes()
    assert b"params:" in config and b"#" in config  # commented
    # plain git log stays quiet unless asked (gitops-ml log shows runs per commit)
    assert git(repo, "config", "--get", "notes.displayRef", check=False).strip() == ""
    assert git(repo, "config", "--get", "notes.rewriteRef").strip() == "refs/notes/gitops-ml"
    settings = git(repo, "config", "--list", "--local")
    for _ in range(2):
        again = cli(repo, "init")
        assert again.returncode == 0
        assert "nothing changed" in again.stdout
        assert (repo / "gitops-ml.yaml").read_bytes() == config
        assert git(repo, "config", "--list", "--local") == settings
    # a config of the user's own is never overwritten
    (repo / "gitops-ml.yaml").write_text("params: mine.json\n")
    assert cli(repo, "init").returncode == 0
    assert (repo / "gitops-ml.yaml").read_text() == "params: mine.json\n"


def test_init_from_a_subdirectory_writes_at_the_root(tmp_path: Path) -> None:
    repo = tmp_path / "r"
    (repo / "a" / "b").mkdir(parents=True)
    git(repo, "init", "-q")
    assert cli(repo / "a" / "b", "init").returncode == 0
    assert (repo / "gitops-ml.yaml").exists() and not (repo / "a" / "b" / "gitops-ml.yaml").exists()


def test_notes_follow_an_amend_after_init(project: Path) -> None:
    assert cli(project, "init").returncode == 0
    # a fact on a user's commit (as link-commit writes: "this commit is the code of run X")
    git(project, "notes", "--ref=gitops-ml", "add", "-m", '{"type":"code-of","run":"X"}')
    git(project, "commit", "-q", "--amend", "-m", "amended")
    assert '"type":"code-of"' in git(project, "notes", "--ref=gitops-ml", "show", "HEAD")


def test_initialize_is_typed_and_idempotent(project: Path) -> None:
    """The typed entry point demo and others call (no argparse Namespace)."""
    from gitops_ml.commands.init import InitOptions, initialize
    from gitops_ml.core import gitstore

    repo = gitstore.open_repo(project)
    first = initialize(repo, InitOptions(hooks=True))
    assert "git config notes.rewriteRef refs/notes/gitops-ml" in first
    assert any(line.startswith("installed the pre-commit hook") for line in first)
    assert initialize(repo, InitOptions(hooks=True)) == []
    assert initialize(repo) == []


def test_init_notes_in_log_sets_display_ref(tmp_path: Path) -> None:
    repo = tmp_path / "r"
    repo.mkdir()
    git(repo, "init", "-q")
    assert cli(repo, "init", "--notes-in-log").returncode == 0
    assert git(repo, "config", "--get", "notes.displayRef").strip() == "refs/notes/gitops-ml"
    assert "nothing changed" in cli(repo, "init", "--notes-in-log").stdout
