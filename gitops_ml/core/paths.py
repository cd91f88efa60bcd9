"""Repository-relative paths: the one normaliser for every path a user or a record names.

``gitops-ml.yaml`` (data, outputs, params, metrics, lockfile), the hooks, the data store
and the recorder all compare paths in the form :func:`normalise` returns: POSIX, no
``./``, no trailing ``/``, no empty or ``.`` components. ``data: ./raw/``, ``raw/.`` and
``raw`` are the same path. A path that is absolute, climbs out with ``..``, names the
repository root itself, or points into ``.git`` is refused.
"""

from __future__ import annotations

import re

from gitops_ml.core.errors import UsageError

_DRIVE = re.compile(r"^[A-Za-z]:")


class PathRefused(UsageError):
    """A path that does not name something inside the repository; ``why`` says how."""

    def __init__(self, what: str, rel: object, why: str) -> None:
        super().__init__(f"{what}: refusing path {rel!r}: {why}")
        self.why = why


def _why_text(rel: str, line_breaks: bool) -> str | None:
    """What is wrong with the text of a path, before looking at its components."""
    if not rel:
        return "must be a non-empty path"
    if rel.startswith(("/", "\\")) or _DRIVE.match(rel):
        return "must be a relative path inside the repository"
    if "\0" in rel or (not line_breaks and ("\n" in rel or "\r" in rel)):
        return "must not contain NUL or line breaks"
    return None


def why_refused(rel: object, *, line_breaks: bool = False) -> str | None:
    """Why ``rel`` cannot be a repository-relative path, or None when it can
    (``line_breaks``: names with line breaks are fine, as in an encoded manifest)."""
    if not isinstance(rel, str):
        return "must be a non-empty path"
    why = _why_text(rel, line_breaks)
    if why is None:
        parts = [p for p in rel.split("/") if p not in ("", ".")]
        if ".." in parts:
            why = "must not leave the repository ('..')"
        elif not parts:
            why = "must name something inside the repository, not its root"
        elif any(p.lower() == ".git" for p in parts):
            why = "must not be inside .git"
    return why


def normalise(rel: str, what: str = "path") -> str:
    """``rel`` in the one canonical form (``./raw/`` -> ``raw``), or :class:`PathRefused`."""
    why = why_refused(rel)
    if why is not None:
        raise PathRefused(what, rel, why)
    return "/".join(p for p in rel.split("/") if p not in ("", "."))


def strict_parts(rel: str, what: str) -> list[str]:
    """The components of a path already in canonical form (as records and manifests hold
    them): anything :func:`normalise` would change or refuse is refused."""
    why = why_refused(rel, line_breaks=True)
    if why is None and "/".join(p for p in rel.split("/") if p not in ("", ".")) != rel:
        why = "'.' or empty components"
    if why is not None:
        raise PathRefused(what, rel, f"{why} (it must stay inside the repository)")
    return rel.split("/")


def inside(rel: str, declared: str) -> bool:
    """Whether canonical path ``rel`` is ``declared`` or inside it."""
    return rel == declared or rel.startswith(declared + "/")


def owner(rel: str, declared: list[str]) -> str | None:
    """The declared path that holds ``rel`` (itself or a parent), or None."""
    return next((d for d in declared if inside(rel, d)), None)
