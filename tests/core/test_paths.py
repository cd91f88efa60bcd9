"""gitops_ml.core.paths: the one normaliser of repository-relative paths."""

from __future__ import annotations

import pytest

from gitops_ml.core.errors import GitopsError
from gitops_ml.core.paths import normalise, owner, strict_parts, why_refused


@pytest.mark.parametrize(
    ("given", "canonical"),
    [("./raw/", "raw"), ("raw/.", "raw"), ("raw//x/", "raw/x"), ("a/./b", "a/b"), ("raw", "raw")],
)
def test_one_form_for_every_spelling(given: str, canonical: str) -> None:
    assert normalise(given) == canonical


@pytest.mark.parametrize(
    ("given", "why"),
    [
        ("/etc/passwd", "relative path"),
        ("C:/x", "relative path"),
        ("../x", "must not leave"),
        ("a/../../x", "must not leave"),
        (".", "not its root"),
        ("./", "not its root"),
        (".git", "inside .git"),
        ("a/.GIT/x", "inside .git"),
        ("", "non-empty"),
        ("a\0b", "NUL"),
    ],
)
def test_refused_paths_say_why(given: str, why: str) -> None:
    with pytest.raises(GitopsError, match=why) as info:
        normalise(given, "data")
    assert info.value.code == 2
    assert why_refused(given) is not None


@pytest.mark.parametrize(
    "rel", ["../x", "/abs/x", "a/../../x", "a//b", ".git/config", "a/.GIT/x", "./a", "a\0b", ""]
)
def test_strict_parts_refuses_escapes(rel: str) -> None:
    with pytest.raises(GitopsError) as info:
        strict_parts(rel, "test")
    assert info.value.code == 2


def test_strict_parts_accepts_ordinary_and_odd_names() -> None:
    assert strict_parts("images/nested/ünï name.txt", "t") == ["images", "nested", "ünï name.txt"]
    assert strict_parts("a/line\nbreak", "t") == ["a", "line\nbreak"]  # a manifest may hold it


def test_owner_is_the_declared_path_holding_a_file() -> None:
    assert owner("data/x.csv", ["raw", "data"]) == "data"
    assert owner("data", ["data"]) == "data"
    assert owner("database.csv", ["data"]) is None
