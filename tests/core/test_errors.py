"""core.errors: the documented exit codes and the user-facing error types."""

from __future__ import annotations

from pathlib import Path

from gitops_ml.core import errors

ROOT = Path(__file__).resolve().parents[2]


def test_exit_codes_are_the_documented_ones() -> None:
    codes = (errors.OK, errors.CHECK_FAILED, errors.USAGE, errors.ENVIRONMENT)
    assert codes == (0, 1, 2, 3)
    assert errors.INTERRUPTED == 130
    readme = (ROOT / "README.md").read_text()
    for code in (*codes, errors.INTERRUPTED):
        assert f"\n| {code} | " in readme, code


def test_error_types_carry_their_code() -> None:
    assert errors.GitopsError("x").code == errors.USAGE
    assert errors.GitopsError("x", errors.CHECK_FAILED).code == 1
    usage = errors.UsageError("bad flag")
    env = errors.EnvironmentProblem("git missing")
    assert (usage.code, str(usage)) == (errors.USAGE, "bad flag")
    assert (env.code, str(env)) == (errors.ENVIRONMENT, "git missing")
    assert isinstance(usage, errors.GitopsError) and isinstance(env, errors.GitopsError)
