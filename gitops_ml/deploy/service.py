"""Deploy and roll back: check the run, carry out the target, record the event.

One deploy (or rollback) is, in order: bring runs, notes and the environment's chain up to
date from the remote (``sync``); pick the run and check it may go (exit code, verification,
the environment's ``require_verified``; ``--force`` with a reason overrides, and is
recorded); carry out the target; append one link to ``refs/deploy/<env>`` holding the
event, pushed with a lease so that when another clone deployed meanwhile this one is told
and its event is recorded after the other's, never over it; append a ``deploy`` fact to the
run's notes and push them.
"""

from __future__ import annotations

import contextlib
import json
import os
import sys
from dataclasses import dataclass, field

from gitops_ml.core import deploychain, deployconfig, gitstore, retry
from gitops_ml.core import deployevents as events
from gitops_ml.core.config import Config
from gitops_ml.core.errors import GitopsError, UsageError
from gitops_ml.core.times import utc_iso
from gitops_ml.deploy import models, policy
from gitops_ml.runs import index

TYPE_CHECKING = False  # typing costs ~7 ms to import: only for the type checker
if TYPE_CHECKING:
    from collections.abc import Iterator
    from typing import Any, Protocol

    from gitops_ml.sync.gitsync import Remote

    class GitHubDeployment(Protocol):
        """The GitHub side of a deploy (see :mod:`gitops_ml.github.deployments`)."""

        def start(self, event: dict[str, Any]) -> dict[str, Any]: ...

        def finish(self, event: dict[str, Any], ok: bool) -> None: ...


def _warn(text: str) -> None:
    print(f"gitops-ml: {text}", file=sys.stderr)


def history(repo: gitstore.Repo, env: str) -> list[dict[str, Any]]:
    """Every event of an environment's chain, oldest first."""
    return deploychain.events(repo, deploychain.head(repo, env))


def deployed(repo: gitstore.Repo, env: str) -> dict[str, Any] | None:
    """The event that put the run now in service in ``env`` (None: nothing deployed)."""
    return events.in_service(history(repo, env))


def ci_context() -> dict[str, Any] | None:
    """Where a deploy made in GitHub Actions came from (None elsewhere)."""
    if os.environ.get("GITHUB_ACTIONS") != "true":
        return None
    server = os.environ.get("GITHUB_SERVER_URL", "")
    repo = os.environ.get("GITHUB_REPOSITORY", "")
    run = os.environ.get("GITHUB_RUN_ID", "")
    return {
        "system": "github-actions",
        "actor": os.environ.get("GITHUB_ACTOR"),
        "event": os.environ.get("GITHUB_EVENT_NAME"),
        "sha": os.environ.get("GITHUB_SHA"),
        "ref": os.environ.get("GITHUB_REF"),
        "run_url": f"{server}/{repo}/actions/runs/{run}" if server and repo and run else None,
    }


def settings_of(cfg: Config, env: str) -> dict[str, Any]:
    """The environment's settings from ``gitops-ml.yaml`` (a problem there: exit 2)."""
    deploychain.check_env_name(env)
    problems = deployconfig.problems(cfg.deploy)
    if problems:
        raise UsageError(f"gitops-ml.yaml: {problems[0]}")
    return deployconfig.settings(cfg.deploy, env)


def pick_remote(
    repo: gitstore.Repo, settings: dict[str, Any], name: str | None, push: bool
) -> Remote | None:
    """The remote the chain is shared through: ``--remote``, the environment's ``remote``,
    else ``origin`` (or the only remote); None with ``--no-push`` or without remotes."""
    from gitops_ml.sync import gitsync

    if not push:
        return None
    name = name or settings.get("remote")
    if name is None and not gitsync.remote_names(repo):
        return None
    return gitsync.resolve(repo, name)


@dataclass
class Outcome:
    """What one deploy or rollback did."""

    event: dict[str, Any]
    commit: str = ""
    remote: str | None = None
    lost_races: list[str] = field(default_factory=list)
    notes_pushed: bool = False


def _refresh(repo: gitstore.Repo, remote: Remote | None, env: str) -> None:
    if remote is None:
        return
    from gitops_ml.sync import gitsync

    report = gitsync.sync(repo, remote)
    if env in report.deploy_diverged:
        raise GitopsError(
            f"deploy chain {env} has diverged from {remote.label}: reconcile it before "
            f"deploying (compare 'git log refs/deploy/{env}' with the remote's)",
            1,
        )


def deploy(
    repo: gitstore.Repo,
    cfg: Config,
    env: str,
    run: str | None,
    *,
    action: str = "deploy",
    why: str | None = None,
    force: bool = False,
    remote_name: str | None = None,
    push: bool = True,
    retries: int = retry.REMOTE_ROUNDS.tries,
    github: GitHubDeployment | None = None,
) -> Outcome:
    """Deploy ``run`` (or, for ``action="rollback"`` with ``run`` None, the run in service
    before the current one) to ``env`` and record it. Raises a one-line error when the run
    is refused; a failed target is recorded and reported through ``event["target"]``."""
    settings = settings_of(cfg, env)
    if force and not (why and why.strip()):
        raise UsageError("--force needs --why TEXT: the reason is recorded with the deploy")
    remote = pick_remote(repo, settings, remote_name, push)
    _refresh(repo, remote, env)
    tip = deploychain.head(repo, env)
    past = history(repo, env)
    rec = index.full_record(repo, _choose(env, action, run, past))
    refusal = _gate(rec, env, settings, action=action, force=force)
    event = _event(repo, rec, env, past, action=action, why=why, force=force, refusal=refusal)
    from gitops_ml.deploy import targets

    with _github_deployment(github, event):
        event["target"] = targets.run_target(
            repo, cfg, env, settings=settings, rec=rec, event=event, remote=remote
        )
    outcome = Outcome(event=event, remote=remote.label if remote else None)
    commit = _record(repo, env, remote, tip, outcome=outcome, retries=retries)
    _note(repo, rec, event, commit)
    if remote is not None:
        outcome.notes_pushed = _push_notes(repo, remote)
    return outcome


def _gate(
    rec: dict[str, Any], env: str, settings: dict[str, Any], *, action: str, force: bool
) -> str | None:
    """Why the run may not go to ``env`` (None: it may); refused unless ``force``."""
    refusal = policy.refusal(rec, env, settings)
    if refusal and not force:
        raise GitopsError(
            f"refused to {action} to {env}: {refusal} (--force --why TEXT overrides; "
            "the force is recorded)",
            1,
        )
    return refusal


def _event(
    repo: gitstore.Repo,
    rec: dict[str, Any],
    env: str,
    past: list[dict[str, Any]],
    *,
    action: str,
    why: str | None,
    force: bool,
    refusal: str | None,
) -> dict[str, Any]:
    """The event to record: what goes where, by whom, why, and what it overrode."""
    ident = gitstore.identity(repo)
    verdict = policy.latest_verification(rec)
    current = events.in_service(past)
    return {
        "schema": events.SCHEMA,
        "action": action,
        "environment": env,
        "run": rec["id"],
        "run_commit": (rec.get("git") or {}).get("snapshot"),
        "name": rec.get("name"),
        "models": models.summary(models.model_entries(rec)),
        "by": {"name": ident[0], "email": ident[1]},
        "at": utc_iso(),
        "why": why,
        "forced": bool(force and refusal),
        "force_reason": why if force and refusal else None,
        "refusal_overridden": refusal if force else None,
        "verification": (
            {"ok": verdict.get("ok"), "at": verdict.get("at"), "by": verdict.get("by")}
            if verdict
            else None
        ),
        "previous": current["run"] if current else None,
        "ci": ci_context(),
    }


@contextlib.contextmanager
def _github_deployment(github: GitHubDeployment | None, event: dict[str, Any]) -> Iterator[None]:
    """Around the target: a GitHub Deployment started before it and given its outcome
    after (left as started when the target raises)."""
    if github is not None:
        event["github_deployment"] = github.start(event)
    yield
    if github is not None:
        github.finish(event, events.ok(event))


def _choose(env: str, action: str, run: str | None, past: list[dict[str, Any]]) -> str:
    """The run to deploy: ``run``, or for a rollback without one, the one before."""
    if run is not None:
        return run
    if action != "rollback":
        raise UsageError("name the run to deploy")
    back = events.rollback_target(past)
    if back is None:
        current = events.in_service(past)
        what = f"only {current['run']} was ever in service" if current else "nothing is deployed"
        raise UsageError(f"cannot roll back {env}: {what}")
    return str(back["run"])


def _record(
    repo: gitstore.Repo,
    env: str,
    remote: Remote | None,
    tip: str | None,
    *,
    outcome: Outcome,
    retries: int,
) -> str:
    """Append the event as one link after ``tip``; a lost race moves it after the winner."""
    ref = deploychain.deploy_ref(env)
    for _ in retry.attempts(retry.REMOTE_ROUNDS.with_tries(retries)):
        commit = deploychain.event_commit(repo, tip, events.message(outcome.event))
        if remote is not None:
            from gitops_ml.deploy.remote import LostRace, push_link

            try:
                push_link(repo, remote, ref, commit, tip)
            except LostRace:
                _refresh(repo, remote, env)
                tip = deploychain.head(repo, env)
                _tell_lost(repo, env, tip, outcome)
                continue
            deploychain.advance(repo, env, commit, deploychain.head(repo, env))
        elif not deploychain.advance(repo, env, commit, tip):
            tip = deploychain.head(repo, env)
            _tell_lost(repo, env, tip, outcome)
            continue
        outcome.commit = commit
        return commit
    raise GitopsError(
        f"could not record the {outcome.event['action']} of {env}: the chain kept moving "
        f"({len(outcome.lost_races)} races lost); the target already ran: deploy again",
        3,
    )


def _tell_lost(repo: gitstore.Repo, env: str, tip: str | None, outcome: Outcome) -> None:
    """Tell the user another deploy won, and move our event after it."""
    latest = history(repo, env)
    winner = latest[-1] if latest else {}
    who = (winner.get("by") or {}).get("email", "someone")
    text = (
        f"deploy chain {env} moved: {who} recorded {winner.get('action', 'a deploy')} of "
        f"{winner.get('run')} first; recording this {outcome.event['action']} after it"
    )
    outcome.lost_races.append(text)
    _warn(text)
    current = events.in_service(latest)
    outcome.event["previous"] = current["run"] if current else None


def _note(repo: gitstore.Repo, rec: dict[str, Any], event: dict[str, Any], commit: str) -> None:
    fact = {
        "type": "deploy",
        "action": event["action"],
        "environment": event["environment"],
        "at": event["at"],
        "by": event["by"]["email"],
        "event": commit,
        "ok": events.ok(event),
        "forced": event["forced"],
    }
    line = json.dumps(fact, sort_keys=True, separators=(",", ":"))
    gitstore.append_notes(
        repo,
        {rec["git"]["snapshot"]: line},
        f"gitops-ml: {event['action']} {event['environment']}\n",
    )


def _push_notes(repo: gitstore.Repo, remote: Remote) -> bool:
    from gitops_ml.sync import gitsync

    try:
        gitsync.sync(repo, remote)
    except GitopsError as exc:
        _warn(f"warning: the deploy is recorded and pushed, but its run note was not: {exc}")
        return False
    return True
