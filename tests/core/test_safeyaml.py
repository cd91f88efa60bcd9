"""gitops_ml.core.safeyaml: plain data only, every refusal one line at its line."""

from __future__ import annotations

import pytest

from gitops_ml.core import safeyaml
from gitops_ml.core.errors import UsageError

BOMB = "".join(
    f"{chr(97 + i)}: &{chr(97 + i)} [" + ",".join([f"*{chr(96 + i)}"] * 9) + "]\n"
    if i
    else "a: &a [1, 2, 3, 4, 5, 6, 7, 8, 9]\n"
    for i in range(9)
)


@pytest.mark.parametrize(
    ("text", "where"),
    [
        ("x: !!python/name:os.system\n", "f.yaml:1: the tag !!python/name:os.system"),
        ("x: !!python/object/apply:os.system ['true']\n", "f.yaml:1: the tag !!python/object"),
        ("x: !!binary aGk=\n", "f.yaml:1: the tag !!binary"),
        ("? [a]\n: 1\n", "f.yaml:1: a key must be a plain value"),
        ("a: 1\nb:\n  c: 1\n  c: 2\n", "f.yaml:4: duplicate key 'b.c'"),
        ("a: .inf\n", "f.yaml:1: .inf is not a finite number"),
        ("a: -.Inf\n", "f.yaml:1: -.Inf is not a finite number"),
        ("a: &a [*a]\n", "f.yaml:1: an alias refers to itself"),
        (BOMB, "alias bomb"),
        ("[" * 300 + "]" * 300, "nested deeper than"),
        ("a: [1, 2\n", "f.yaml:2: not valid YAML"),
    ],
)
def test_refused_with_file_and_line(text: str, where: str) -> None:
    with pytest.raises(safeyaml.YamlProblem) as info:
        safeyaml.load(text, "f.yaml")
    assert where in str(info.value) and "\n" not in str(info.value)
    assert isinstance(info.value, UsageError) and info.value.code == 2


def test_plain_data_loads_with_dates_as_text_and_merge_keys() -> None:
    text = "d: 2001-01-01\nbase: &b {x: 1}\nc:\n  <<: *b\n  y: .5\nl: [1, true, null, 'q']\n"
    assert safeyaml.load(text, "f") == {
        "d": "2001-01-01",
        "base": {"x": 1},
        "c": {"x": 1, "y": 0.5},
        "l": [1, True, None, "q"],
    }
    assert safeyaml.load("", "f") is None
    assert safeyaml.load("a: .inf\n", "f", finite=False) == {"a": float("inf")}


def test_syntax_errors_are_told_apart() -> None:
    with pytest.raises(safeyaml.YamlProblem) as info:
        safeyaml.load("a: [", "f")
    assert info.value.syntax
    with pytest.raises(safeyaml.YamlProblem) as info:
        safeyaml.load("a: !!set {x}", "f")
    assert not info.value.syntax
