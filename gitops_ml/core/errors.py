"""The one user-facing error type and the documented exit codes."""

from __future__ import annotations

OK = 0
CHECK_FAILED = 1
USAGE = 2
ENVIRONMENT = 3
INTERRUPTED = 130  # Ctrl-C, as shells report 128 + SIGINT


class GitopsError(Exception):
    """An error the user can act on: printed as one line, exits with ``code``."""

    def __init__(self, message: str, code: int = USAGE) -> None:
        super().__init__(message)
        self.code = code


class UsageError(GitopsError):
    """Bad input: a malformed file, an unknown run id, a wrong flag (exit 2)."""

    def __init__(self, message: str) -> None:
        super().__init__(message, USAGE)


class EnvironmentProblem(GitopsError):
    """The environment is not usable: git missing, remote unreachable (exit 3)."""

    def __init__(self, message: str) -> None:
        super().__init__(message, ENVIRONMENT)
