"""The project's task list: `nox` runs lint, typecheck and tests; `nox -s demo`, `nox -s bench`."""

from __future__ import annotations

import os
import tempfile

import nox

nox.options.default_venv_backend = "uv|virtualenv"
nox.options.sessions = ["lint", "typecheck", "tests"]
nox.options.error_on_external_run = False

PYPROJECT = nox.project.load_toml("pyproject.toml")


def _group(name: str) -> list[str]:
    return list(nox.project.dependency_groups(PYPROJECT, name))


@nox.session
def tests(session: nox.Session) -> None:
    """The test suite against real git repositories, with the coverage gate.

    Coverage counts the package in the test process and in every Python it starts (the
    real ``gitops-ml`` CLI in subprocesses; ``[tool.coverage.run] patch``), branches
    included, and fails the session under ``[tool.coverage.report] fail_under``.
    Pytest arguments go after ``--``; a run that selects tests (``-k``, a path) skips the
    gate (``--no-cov`` as well), since a part of the suite cannot reach it.
    """
    session.install("-e", ".[s3,github,monitor,serve]", *_group("test"))
    workers = os.environ.get("PYTEST_WORKERS", "2")
    cov = [] if session.posargs else ["--cov", "--cov-report=term"]
    session.run("pytest", "-n", workers, "--durations=15", *cov, *session.posargs)


@nox.session
def lint(session: nox.Session) -> None:
    """ruff lint and format check; the layer contracts (import-linter, pyproject.toml)."""
    session.install(*_group("lint"))
    session.run("ruff", "check", ".")
    session.run("ruff", "format", "--check", ".")
    session.run("lint-imports")


@nox.session
def typecheck(session: nox.Session) -> None:
    """mypy --strict over the package."""
    session.install("-e", ".[s3,github,monitor,serve]", *_group("typecheck"))
    session.run("mypy")


@nox.session
def demo(session: nox.Session) -> None:
    """Install gitops-ml and run `gitops-ml demo` on the bundled example project."""
    session.install(".")
    where = os.path.join(tempfile.mkdtemp(prefix="gitops-ml-"), "demo")
    session.run("gitops-ml", "demo", where, *session.posargs)


@nox.session(default=False)
def bench(session: nox.Session) -> None:
    """Benchmarks side by side with MLflow, DVC and plain git (see bench/README.md).

    gitops-ml is measured from this session's venv (the project installed, not editable);
    MLflow and DVC from their own venvs, which bench/run.py makes under bench/.venvs.
    The serve and monitor extras are installed: figure 10 measures ``gitops-ml serve``.
    """
    session.install(".[serve,monitor]")
    session.run("python", "bench/run.py", "--use-current", *session.posargs)
