"""core.retry: the one retry policy."""

from __future__ import annotations

import time

import pytest

from gitops_ml.core import retry


def test_attempts_yields_each_try_once() -> None:
    policy = retry.Policy(tries=4, step=0.0, cap=0.0)
    assert list(retry.attempts(policy)) == [0, 1, 2, 3]


def test_attempts_sleeps_between_tries_only(monkeypatch: pytest.MonkeyPatch) -> None:
    slept: list[float] = []
    monkeypatch.setattr(time, "sleep", slept.append)
    policy = retry.Policy(tries=4, step=0.01, cap=0.025)
    for _ in retry.attempts(policy):
        pass
    assert slept == [0.01, 0.02, 0.025]  # none before the first, none after the last


def test_stopping_early_does_not_sleep(monkeypatch: pytest.MonkeyPatch) -> None:
    slept: list[float] = []
    monkeypatch.setattr(time, "sleep", slept.append)
    for attempt in retry.attempts(retry.NOTES_CAS):
        if attempt == 1:
            break
    assert slept == [retry.NOTES_CAS.delay(0)]


def test_sleep_false_never_sleeps(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(time, "sleep", lambda s: pytest.fail("slept"))
    assert len(list(retry.attempts(retry.REMOTE_ROUNDS, sleep=False))) == 10


def test_jitter_stays_in_range() -> None:
    policy = retry.Policy(tries=3, step=0.1, cap=1.0, jitter=0.8)
    for attempt in range(12):
        wait = min(0.1 * (attempt + 1), 1.0)
        got = policy.delay(attempt)
        assert wait * 0.2 - 1e-12 <= got <= wait


def test_named_limits() -> None:
    assert (retry.NOTES_CAS.tries, retry.NOTES_MERGE.tries, retry.REMOTE_ROUNDS.tries) == (
        200,
        50,
        10,
    )
