"""``gitops-ml init [--hooks] [--pre-commit] [--notes-in-log]``: configure a repository.

Writes a commented ``gitops-ml.yaml`` when absent and sets, once each:
``notes.rewriteRef`` (notes follow rebase and amend) and the ``cat_sort_uniq`` merge
strategy for the notes; with ``--notes-in-log`` also ``notes.displayRef`` (the facts
show in plain ``git log``; by default it stays quiet: ``gitops-ml log`` shows the runs).
Running it again changes nothing.
"""

from __future__ import annotations

import argparse
import shutil
from dataclasses import dataclass

from gitops_ml.core import config, git, gitstore
from gitops_ml.core.config import FILENAME
from gitops_ml.core.errors import OK
from gitops_ml.core.templates import template_dir

SETTINGS = (
    ("notes.rewriteRef", gitstore.NOTES_REF),
    ("notes.gitops-ml.mergeStrategy", "cat_sort_uniq"),
)
DISPLAY = ("notes.displayRef", gitstore.NOTES_REF)


def configure_git(repo: gitstore.Repo, *, notes_in_log: bool = False) -> list[str]:
    """Apply the git settings that are missing; returns what changed."""
    changed = []
    for key, value in SETTINGS + ((DISPLAY,) if notes_in_log else ()):
        proc = git.run(["config", "--get-all", key], repo.top, check=False)
        if value in proc.stdout.decode().split("\n"):
            continue
        if key.endswith("mergeStrategy"):
            git.run(["config", key, value], repo.top)
        else:
            git.run(["config", "--add", key, value], repo.top)
        changed.append(f"git config {key} {value}")
    return changed


def configure(p: argparse.ArgumentParser) -> None:
    """Declare this command's arguments."""
    p.add_argument(
        "--hooks", action="store_true", help="install the plain git hooks (chaining existing ones)"
    )
    p.add_argument(
        "--pre-commit", action="store_true", help="write or extend .pre-commit-config.yaml"
    )
    p.add_argument(
        "--pre-commit-repo",
        metavar="URL",
        help="install the hooks from this gitops-ml repository (default: 'repo: local' hooks "
        "running the installed gitops-ml commands)",
        default=None,
    )
    p.add_argument(
        "--pre-commit-rev", metavar="REV", help="the tag or commit to pin (default: v<version>)"
    )
    p.add_argument(
        "--github", action="store_true", help="write the GitHub Actions caller workflows"
    )
    p.add_argument("--github-repo", metavar="OWNER/NAME", help="where gitops-ml's workflows are")
    p.add_argument("--github-ref", metavar="REF", help="their tag or commit (default: v1)")
    p.add_argument(
        "--notes-in-log",
        action="store_true",
        help="set notes.displayRef so plain 'git log' shows gitops-ml's facts "
        "(default: it stays quiet; 'gitops-ml log' shows runs per commit)",
    )
    p.add_argument(
        "--monitoring",
        action="store_true",
        help="write monitoring/: Prometheus scrape config, alert rules and their unit tests, "
        "Grafana dashboard",
    )


@dataclass(frozen=True)
class InitOptions:
    """What ``init`` sets up besides the config file and the git settings (its flags)."""

    hooks: bool = False
    pre_commit: bool = False
    pre_commit_repo: str | None = None
    pre_commit_rev: str | None = None
    github: bool = False
    github_repo: str | None = None
    github_ref: str | None = None
    notes_in_log: bool = False  # notes.displayRef: plain git log shows the facts
    monitoring: bool = False


def initialize(repo: gitstore.Repo, options: InitOptions | None = None) -> list[str]:
    """Configure ``repo`` for gitops-ml; returns one line per change (none: all was set)."""
    options = options or InitOptions()
    done: list[str] = []
    target = repo.top / FILENAME
    if not target.exists():
        shutil.copyfile(template_dir() / FILENAME, target)
        done.append(f"wrote {FILENAME}")
    if config.write_schema_copy(repo.top):
        done.append(f"wrote {config.SCHEMA_COPY} (the schema editors validate {FILENAME} with)")
    done += configure_git(repo, notes_in_log=options.notes_in_log)
    if options.hooks:
        from gitops_ml.hooks.install import install_git_hooks

        done += install_git_hooks(repo)
    if options.pre_commit:
        from gitops_ml.hooks.install import write_pre_commit_config

        done += write_pre_commit_config(
            repo, url=options.pre_commit_repo, rev=options.pre_commit_rev
        )
    if options.github:
        from gitops_ml.ci.workflows import write_callers

        done += write_callers(repo.top, options.github_repo, options.github_ref)
    if options.monitoring:
        from gitops_ml.monitor.templates import write_monitoring

        done += write_monitoring(repo.top)
    return done


def report(done: list[str]) -> None:
    """Print what :func:`initialize` changed."""
    for line in done:
        print(f"gitops-ml init: {line}")
    if not done:
        print("gitops-ml init: already configured, nothing changed")


def main(args: argparse.Namespace) -> int:
    options = InitOptions(
        hooks=args.hooks,
        pre_commit=args.pre_commit,
        pre_commit_repo=args.pre_commit_repo,
        pre_commit_rev=args.pre_commit_rev,
        github=args.github,
        github_repo=args.github_repo,
        github_ref=args.github_ref,
        notes_in_log=args.notes_in_log,
        monitoring=args.monitoring,
    )
    report(initialize(gitstore.open_repo(), options))
    return OK
