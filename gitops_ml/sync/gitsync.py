"""Sync runs, notes and deploy refs with any git remote: the one module doing network git.

What travels, and how (see README, "Collaboration"):

- ``refs/runs/*`` are immutable: a run missing on one side is fetched or pushed. Once
  more than :data:`ARCHIVE_ABOVE` run refs gather, a sync moves them all into
  ``refs/gitops-ml/archive`` (recording does too, above 1,000: see
  :mod:`gitops_ml.core.archive`): one ref whatever the
  number of runs, so a remote's ref advertisement, paid by every plain ``git push`` of
  every teammate, stays small. The remote's archive is merged (the union of both
  indexes) and ours pushed without force; the remote's run refs that the pushed archive
  holds are then deleted there, each with a lease. A run id present on both sides with
  different commits is a conflict, reported and never overwritten.
- ``refs/notes/gitops-ml`` is fetched into ``refs/notes/remotes/<remote>/gitops-ml``
  (never forced over the local notes), merged as a union of lines
  (:func:`gitstore.merge_notes`) and pushed without force: when another pusher won the
  race the push is rejected, and the whole round (look, fetch, merge, push) is retried.
- ``refs/gitops-ml/environments`` is fetched into
  ``refs/gitops-ml/remotes/<remote>/environments``, every entry checked (its name is the
  hash of its content), merged as the union of both trees and pushed without force.
- ``refs/deploy/<env>`` chains are fetched into ``refs/deploy-remotes/<remote>/<env>``;
  a local chain behind is fast-forwarded, one ahead is pushed, diverged ones are reported.

What a remote sends is validated before anything is merged: run refs whose name is not a
run id are not fetched (and ignored locally, with a warning); a notes, environments or
deploy tip that is not well-formed is refused with a warning and left out of local state.

All traffic goes through the git CLI, so credential helpers, ssh config and
``url.<base>.insteadOf`` apply. One ``git ls-remote`` per round tells what differs; a sync
with nothing to do costs exactly that.
"""

from __future__ import annotations

import os
import re
import subprocess
from dataclasses import dataclass, field
from hashlib import sha1

from gitops_ml.core import archive, git, gitstore, retry
from gitops_ml.core.errors import EnvironmentProblem, GitopsError, UsageError

RUNS = gitstore.RUNS_PREFIX
NOTES = gitstore.NOTES_REF
DEPLOY = gitstore.DEPLOY_PREFIX
ENVS = gitstore.ENVIRONMENTS_REF
ARCH = gitstore.ARCHIVE_REF
# Run refs kept as refs on a remote before sync archives them (refs/gitops-ml/archive):
# measured, a plain `git push` of a branch to a remote holding 1,000 run refs took 3.1x
# the push to one without; 100 cost at most about 1.2x.
ARCHIVE_ABOVE = 100
_PUSH_CHUNK = 4000  # refspecs per ``git push`` (stays far below the argument limit)

# Words in git's stderr that mean "you may not", as opposed to "cannot get there".
_DENIED = (
    "permission denied",
    "access denied",
    "authentication failed",
    "not exported",
    "insufficient permission",
    "read-only",
    "could not read username",
    "the requested url returned error: 401",
    "the requested url returned error: 403",
    "remote rejected",
    "unpacker error",
    "service not enabled",
)
# Reasons a ref update lost a race (here or on the remote): look again and retry.
_RACE = (
    "fetch first",
    "non-fast-forward",
    "stale info",
    "cannot lock ref",
    "failed to lock",
    "failed to update ref",
    "unable to update local ref",
    "some local refs could not be updated",
    "incorrect old value",
    "reference already exists",
)


@dataclass(frozen=True)
class Remote:
    """A remote as the git CLI takes it (a configured name or a URL/path)."""

    arg: str  # what git commands get
    url: str
    slug: str  # namespace of the tracking refs

    @property
    def label(self) -> str:
        """The remote for people: its name and its URL, credentials hidden."""
        shown = redact(self.url)
        return shown if self.arg == self.url else f"{self.arg} ({shown})"


_USERINFO = re.compile(r"([a-zA-Z][a-zA-Z0-9+.-]*://)[^/@\s]*@")


def redact(text: str) -> str:
    """``text`` (a URL, or a message quoting URLs) with the user part of every URL, where
    passwords and tokens go, shown as ``***``."""
    return _USERINFO.sub(r"\1***@", text)


@dataclass
class SyncReport:
    """What one sync did."""

    remote: str
    fetched_runs: list[str] = field(default_factory=list)
    pushed_runs: list[str] = field(default_factory=list)
    conflicts: list[tuple[str, str, str]] = field(default_factory=list)  # id, local, remote
    notes: str = "unchanged"  # unchanged | created | fast-forwarded | merged
    notes_pushed: bool = False
    deploy_updated: list[str] = field(default_factory=list)
    deploy_pushed: list[str] = field(default_factory=list)
    deploy_diverged: list[str] = field(default_factory=list)
    environments: str = "unchanged"  # unchanged | created | fast-forwarded | merged
    environments_pushed: bool = False
    archive_pushed: bool = False
    refused: list[str] = field(default_factory=list)  # why a remote ref was not merged
    ignored_refs: list[str] = field(default_factory=list)  # remote refs that are not runs
    attempts: int = 0

    @property
    def clean(self) -> bool:
        """True when nothing needs a person: no run conflict, no diverged deploy chain,
        nothing refused."""
        return not self.conflicts and not self.deploy_diverged and not self.refused

    def summary(self) -> str:
        """One line for people."""
        parts = []
        if self.fetched_runs or self.pushed_runs:
            parts.append(f"{len(self.fetched_runs)} runs fetched, {len(self.pushed_runs)} pushed")
        if self.notes != "unchanged" or self.notes_pushed:
            what = {"unchanged": "", "created": "fetched", "fast-forwarded": "fetched"}.get(
                self.notes, self.notes
            )
            pushed = "pushed" if self.notes_pushed else ""
            parts.append("notes " + " and ".join(w for w in (what, pushed) if w))
        if self.environments != "unchanged" or self.environments_pushed:
            got = "" if self.environments == "unchanged" else "fetched"
            pushed = "pushed" if self.environments_pushed else ""
            parts.append("environments " + " and ".join(w for w in (got, pushed) if w))
        for env in self.deploy_updated:
            parts.append(f"deploy/{env} updated")
        for env in self.deploy_pushed:
            parts.append(f"deploy/{env} pushed")
        return f"{self.remote}: " + ("; ".join(parts) if parts else "already up to date")

    def warnings(self) -> list[str]:
        """One line per thing a person should look at."""
        out = [
            f"run {run} differs on {self.remote} (local {mine[:12]}, remote {theirs[:12]}): "
            f"kept the local one; compare with 'git fetch {self.remote} "
            f"{RUNS}{run}' and 'git diff {mine[:12]} FETCH_HEAD'"
            for run, mine, theirs in self.conflicts
        ]
        out += [
            f"deploy chain {env} has diverged from {self.remote}: neither side was changed; "
            f"compare 'git log {DEPLOY}{env}' with 'git log refs/deploy-remotes/.../{env}'"
            for env in self.deploy_diverged
        ]
        out += self.refused
        out += [
            f"ignored {ref.encode('unicode_escape').decode('ascii')!r} on {self.remote}: "
            "not a run id"
            for ref in self.ignored_refs
        ]
        return out


class _Retry(Exception):
    """Another writer moved a ref between our look and our update."""


# ---------------------------------------------------------------- remotes


def remote_names(repo: gitstore.Repo) -> list[str]:
    """The configured remotes."""
    return git.out(["remote"], repo.top).split()


def upstream_remote(repo: gitstore.Repo) -> str | None:
    """The remote the current branch tracks (``branch.<name>.remote``), if any."""
    _, _, branch = gitstore.head_info(repo)
    if branch:
        proc = git.run(["config", "--get", f"branch.{branch}.remote"], repo.top, check=False)
        name = proc.stdout.decode().strip()
        if proc.returncode == 0 and name and name != ".":
            return name
    return None


def resolve(repo: gitstore.Repo, name: str | None = None) -> Remote:
    """The remote to talk to: ``name`` (a configured remote, a URL or a path), else
    ``origin``, else the only remote."""
    names = remote_names(repo)
    if name is None:
        if "origin" in names:
            name = "origin"
        elif len(names) == 1:
            name = names[0]
        elif not names:
            raise UsageError(
                "no git remote configured: add one with 'git remote add origin URL' "
                "or name a URL: gitops-ml sync URL"
            )
        else:
            raise UsageError(
                f"several remotes ({', '.join(names)}) and none is 'origin': "
                f"name one, e.g. gitops-ml sync {names[0]}"
            )
    if name in names:
        url = git.run(["remote", "get-url", name], repo.top, check=False).stdout.decode().strip()
        return Remote(arg=name, url=url or name, slug=name)
    if "://" in name or re.match(r"^[\w.-]+@[\w.-]+:", name):
        url = name
    elif os.path.exists(name):
        url = os.path.abspath(name)  # git runs from the top of the work tree
    else:
        raise UsageError(
            f"'{name}' is not a configured remote ({', '.join(names) or 'none'}), "
            "a URL or an existing path"
        )
    return Remote(arg=url, url=url, slug="url-" + sha1(url.encode()).hexdigest()[:12])


# ---------------------------------------------------------------- talking to git


def _reason(stderr: str) -> str:
    """The line of git's stderr that says what went wrong."""
    lines = [ln.strip() for ln in stderr.splitlines() if ln.strip()]
    for i, line in enumerate(lines):
        low = line.lower()
        if low.startswith(("fatal:", "error:", "remote: error", "ssh:")):
            text = re.sub(r"^(fatal|error):\s*", "", line)
            if text.endswith(":") and i + 1 < len(lines):
                text += " " + lines[i + 1]
            return text
    return lines[-1] if lines else "git failed"


def _network_error(remote: Remote, stderr: str, doing: str) -> EnvironmentProblem:
    why = redact(_reason(stderr).replace(remote.url, redact(remote.url)))
    if any(w in stderr.lower() for w in _DENIED):
        return EnvironmentProblem(f"no permission to {doing} {remote.label}: {why}")
    return EnvironmentProblem(f"cannot reach remote {remote.label}: {why}")


def _net(
    repo: gitstore.Repo,
    remote: Remote,
    args: list[str],
    *,
    input: bytes | None = None,
    timeout: float | None = None,
) -> subprocess.CompletedProcess[str]:
    """A git command that talks to ``remote``; a timeout becomes a one-line error."""
    git.git_exe()
    try:
        proc = subprocess.run(
            ["git", *args],
            cwd=repo.top,
            input=input,
            env=git.git_env(),
            capture_output=True,
            timeout=timeout,
        )
    except subprocess.TimeoutExpired:
        raise EnvironmentProblem(
            f"remote {remote.label} did not answer within {timeout:g} s"
        ) from None
    return subprocess.CompletedProcess(
        proc.args,
        proc.returncode,
        proc.stdout.decode(errors="replace"),
        proc.stderr.decode(errors="replace"),
    )


def ls_remote(repo: gitstore.Repo, remote: Remote, timeout: float | None = None) -> dict[str, str]:
    """The remote's run, notes and deploy refs (one round trip)."""
    proc = _net(
        repo,
        remote,
        ["ls-remote", "--refs", remote.arg, f"{RUNS}*", NOTES, ENVS, ARCH, f"{DEPLOY}*"],
        timeout=timeout,
    )
    if proc.returncode != 0:
        raise _network_error(remote, proc.stderr, "read from")
    refs: dict[str, str] = {}
    for line in proc.stdout.splitlines():
        sha, _, ref = line.partition("\t")
        if ref.startswith((RUNS, DEPLOY)) or ref in (NOTES, ENVS, ARCH):
            refs[ref] = sha
    return refs


def _local_refs(repo: gitstore.Repo) -> dict[str, str]:
    text = git.out(
        ["for-each-ref", "--format=%(objectname) %(refname)", RUNS, NOTES, ENVS, ARCH, DEPLOY],
        repo.top,
    )
    refs = {}
    for line in text.splitlines():
        sha, _, ref = line.partition(" ")
        if ref.startswith(RUNS) and not gitstore.is_run_id(ref[len(RUNS) :]):
            continue
        if ref.startswith((RUNS, DEPLOY)) or ref in (NOTES, ENVS, ARCH):
            refs[ref] = sha
    return refs


def _have_objects(repo: gitstore.Repo, shas: list[str]) -> set[str]:
    if not shas:
        return set()
    proc = git.run(
        ["cat-file", "--batch-check=%(objectname) %(objecttype)"],
        repo.top,
        input="".join(f"{s}\n" for s in shas).encode(),
    )
    return {
        line.split()[0] for line in proc.stdout.decode().splitlines() if line.endswith(" commit")
    }


def _is_ancestor(repo: gitstore.Repo, a: str, b: str) -> bool:
    return git.run(["merge-base", "--is-ancestor", a, b], repo.top, check=False).returncode == 0


# ---------------------------------------------------------------- one round


def _run_specs(
    repo: gitstore.Repo, theirs: dict[str, str], ours: dict[str, str], report: SyncReport
) -> tuple[list[str], list[str]]:
    """Fetch refspecs for the remote's run refs this clone lacks (refs or archived), and
    their ids; names that are not run ids are ignored, differing commits are conflicts."""
    specs: list[str] = []
    new_runs: list[str] = []
    archived: dict[str, str] | None = None
    for ref, sha in theirs.items():
        if not ref.startswith(RUNS):
            continue
        run_id = ref[len(RUNS) :]
        if not gitstore.is_run_id(run_id):
            if ref not in report.ignored_refs:
                report.ignored_refs.append(ref)
            continue
        mine = ours.get(ref)
        if mine is None:
            if archived is None:  # a remote written by an older version: look once
                archived = archive.entries(repo)
            mine = archived.get(run_id)
        if mine is None:
            specs.append(f"{ref}:{ref}")
            new_runs.append(run_id)
        elif mine != sha:
            report.conflicts.append((run_id, mine, sha))
    return specs, new_runs


def _fetch(
    repo: gitstore.Repo,
    remote: Remote,
    theirs: dict[str, str],
    ours: dict[str, str],
    report: SyncReport,
    *,
    timeout: float | None,
) -> tuple[str | None, dict[str, str]]:
    """Fetch what we lack; returns the remote notes commit and deploy heads, now local."""
    notes_track = f"refs/notes/remotes/{remote.slug}/gitops-ml"
    envs_track = f"refs/gitops-ml/remotes/{remote.slug}/environments"
    arch_track = f"refs/gitops-ml/remotes/{remote.slug}/archive"
    deploy_track = f"refs/deploy-remotes/{remote.slug}/"
    specs, new_runs = _run_specs(repo, theirs, ours, report)
    tips = {
        ref: sha
        for ref, sha in theirs.items()
        if ref in (NOTES, ENVS, ARCH) or ref.startswith(DEPLOY)
    }
    present = _have_objects(repo, sorted(set(tips.values())))
    local_track: list[tuple[str, str]] = []
    for ref, sha in tips.items():
        if ref == NOTES:
            track = notes_track
        elif ref == ENVS:
            track = envs_track
        elif ref == ARCH:
            track = arch_track
        else:
            track = deploy_track + ref[len(DEPLOY) :]
        if sha in present:
            local_track.append((track, sha))
        else:
            specs.append(f"+{ref}:{track}")
    if specs:
        proc = _net(
            repo,
            remote,
            [
                "fetch",
                "--quiet",
                "--no-tags",
                "--no-write-fetch-head",
                "--recurse-submodules=no",
                "--stdin",
                remote.arg,
            ],
            input="\n".join(specs).encode() + b"\n",
            timeout=timeout,
        )
        if proc.returncode != 0:
            low = proc.stderr.lower()
            if any(w in low for w in _RACE) or "couldn't find remote ref" in low:
                raise _Retry(_reason(proc.stderr))
            raise _network_error(remote, proc.stderr, "fetch from")
    for track, sha in local_track:
        git.run(["update-ref", track, sha], repo.top)
    report.fetched_runs += new_runs
    deploys = {ref[len(DEPLOY) :]: sha for ref, sha in tips.items() if ref.startswith(DEPLOY)}
    return theirs.get(NOTES), deploys


def _merge_fetched(
    repo: gitstore.Repo,
    theirs: dict[str, str],
    deploys: dict[str, str],
    report: SyncReport,
) -> set[str]:
    """Validate and merge the fetched notes, environments and deploy tips; a malformed
    one is refused (a warning in ``report``) and left out. Returns the refs refused."""
    refused: set[str] = set()
    _merge_notes(repo, theirs.get(NOTES), report, refused)
    _merge_environments(repo, theirs.get(ENVS), report, refused)
    _merge_archive(repo, theirs.get(ARCH), report, refused)
    _update_deploys(repo, _good_deploys(repo, deploys, report, refused), report)
    return refused


def _merge_notes(
    repo: gitstore.Repo, notes: str | None, report: SyncReport, refused: set[str]
) -> None:
    """Check and merge the remote's notes commit into ours."""
    if notes is None:
        return
    try:
        gitstore.check_notes(repo, notes)
    except gitstore.Refused as exc:
        _refuse(report, refused, NOTES, exc)
        return
    outcome = gitstore.merge_notes(repo, notes)
    if outcome != "unchanged":
        report.notes = "merged" if report.notes == "merged" else outcome


def _merge_environments(
    repo: gitstore.Repo, envs: str | None, report: SyncReport, refused: set[str]
) -> None:
    """Merge (checking it) the remote's environments ref into ours."""
    if envs is None:
        return
    try:
        outcome = gitstore.merge_environments(repo, envs)
    except gitstore.Refused as exc:
        _refuse(report, refused, ENVS, exc)
        return
    if outcome != "unchanged":
        report.environments = outcome


def _good_deploys(
    repo: gitstore.Repo, deploys: dict[str, str], report: SyncReport, refused: set[str]
) -> dict[str, str]:
    """The fetched deploy tips that pass the check; the others are refused."""
    good = {}
    for env, sha in deploys.items():
        try:
            gitstore.check_commit(repo, f"{DEPLOY}{env}", sha)
        except gitstore.Refused as exc:
            _refuse(report, refused, DEPLOY + env, exc)
        else:
            good[env] = sha
    return good


def _merge_archive(
    repo: gitstore.Repo, arch: str | None, report: SyncReport, refused: set[str]
) -> None:
    """Check and merge the remote's archive; archive local run refs above the threshold."""
    if arch is not None:
        try:
            archive.check(repo, arch)
        except gitstore.Refused as exc:
            _refuse(report, refused, ARCH, exc)
            arch = None
    refs = gitstore.list_run_refs(repo)
    keep = 0 if len(refs) > archive_above() else len(refs)
    done = archive.compact(repo, keep, theirs=arch)
    report.fetched_runs += [i for i in done.gained if i not in report.fetched_runs]
    known = {c[0] for c in report.conflicts}
    report.conflicts += [c for c in done.conflicts if c[0] not in known]


def archive_above() -> int:
    """Run refs a sync leaves as they are; above this many, it archives them all
    (``GITOPS_ML_ARCHIVE_ABOVE``, default :data:`ARCHIVE_ABOVE`)."""
    try:
        return max(0, int(os.environ.get("GITOPS_ML_ARCHIVE_ABOVE", ARCHIVE_ABOVE)))
    except ValueError:
        return ARCHIVE_ABOVE


def _refuse(report: SyncReport, refused: set[str], ref: str, exc: gitstore.Refused) -> None:
    """``ref`` from the remote is left out of the merge and the push, with its warning."""
    refused.add(ref)
    why = str(exc)
    if why not in report.refused:
        report.refused.append(why)


def _update_deploys(repo: gitstore.Repo, deploys: dict[str, str], report: SyncReport) -> None:
    """Fast-forward local deploy chains to the remote's where possible."""
    for env, sha in sorted(deploys.items()):
        ref = DEPLOY + env
        mine = gitstore.resolve_ref(repo, ref)
        if mine == sha:
            continue
        if mine is None or _is_ancestor(repo, mine, sha):
            if not gitstore.cas_ref(repo, ref, sha, mine):
                raise _Retry(f"{ref} moved")
            report.deploy_updated.append(env)
        elif not _is_ancestor(repo, sha, mine) and env not in report.deploy_diverged:
            report.deploy_diverged.append(env)


def _push_specs(
    repo: gitstore.Repo, theirs: dict[str, str], report: SyncReport, refused: set[str]
) -> list[str]:
    ours = _local_refs(repo)
    conflicted = {RUNS + c[0] for c in report.conflicts}
    specs = [
        f"{ref}:{ref}"
        for ref in sorted(ours)
        if ref.startswith(RUNS) and ref not in theirs and ref not in conflicted
    ]
    for ref in (ARCH, NOTES, ENVS):
        # a refused remote tip is not overwritten either: a person looks at it first
        if ref in ours and ours[ref] != theirs.get(ref) and ref not in refused:
            specs.append(f"{ref}:{ref}")
    for ref, sha in sorted(ours.items()):
        if not ref.startswith(DEPLOY) or theirs.get(ref) == sha:
            continue
        if ref[len(DEPLOY) :] in report.deploy_diverged or ref in refused:
            continue
        if ref not in theirs or _is_ancestor(repo, theirs[ref], sha):
            specs.append(f"{ref}:{ref}")
    return specs


def _push(
    repo: gitstore.Repo,
    remote: Remote,
    specs: list[str],
    report: SyncReport,
    timeout: float | None,
) -> None:
    """Push without force; a lost race raises :class:`_Retry`."""
    lost: list[str] = []
    for start in range(0, len(specs), _PUSH_CHUNK):
        chunk = specs[start : start + _PUSH_CHUNK]
        proc = _net(
            repo,
            remote,
            ["push", "--porcelain", "--no-verify", "--no-recurse-submodules", remote.arg, *chunk],
            timeout=timeout,
        )
        rows = [ln.split("\t") for ln in proc.stdout.splitlines() if ln.count("\t") >= 2]
        if proc.returncode != 0 and not rows:
            raise _network_error(remote, proc.stderr, "push to")
        for flag, refs, summary in (r[:3] for r in rows):
            ref = refs.partition(":")[2]
            if flag == "!":
                if any(w in summary.lower() for w in _RACE):
                    lost.append(ref)
                    continue
                raise _network_error(remote, f"error: {ref} {summary}\n{proc.stderr}", "push to")
            if flag != "=":
                _note_pushed(report, ref)
    if lost:
        raise _Retry(f"the remote moved: {', '.join(lost[:3])}")


def _note_pushed(report: SyncReport, ref: str) -> None:
    """Note in ``report`` that the remote took ``ref``."""
    if ref.startswith(RUNS):
        report.pushed_runs.append(ref[len(RUNS) :])
    elif ref == ARCH:
        report.archive_pushed = True
    elif ref == NOTES:
        report.notes_pushed = True
    elif ref == ENVS:
        report.environments_pushed = True
    elif ref.startswith(DEPLOY):
        report.deploy_pushed.append(ref[len(DEPLOY) :])


def _count_pushed(repo: gitstore.Repo, before: str | None, report: SyncReport) -> None:
    """The runs the pushed archive holds that the remote's did not (cost: the difference)."""
    tip = gitstore.resolve_ref(repo, ARCH)
    if tip is not None:
        new = archive._added(repo, before, tip) if before else archive.entries(repo, tip)
        report.pushed_runs = sorted(set(report.pushed_runs) | set(new))


def _delete_archived(
    repo: gitstore.Repo, remote: Remote, theirs: dict[str, str], timeout: float | None
) -> None:
    """Delete the remote's run refs that the archive just pushed holds (same commit),
    each with a lease: a remote written by an older version ends with one ref for all."""
    held = [(r, s) for r, s in theirs.items() if r.startswith(RUNS)]
    if not held:
        return
    entries = archive.entries(repo)
    gone = [(r, s) for r, s in held if entries.get(r[len(RUNS) :]) == s]
    for start in range(0, len(gone), _PUSH_CHUNK // 2):
        chunk = gone[start : start + _PUSH_CHUNK // 2]
        args = ["push", "--porcelain", "--no-verify", "--no-recurse-submodules"]
        args += [f"--force-with-lease={r}:{s}" for r, s in chunk]
        args += [remote.arg] + [f":{r}" for r, _ in chunk]
        proc = _net(repo, remote, args, timeout=timeout)
        if proc.returncode != 0 and "\t" not in proc.stdout:
            raise _network_error(remote, proc.stderr, "push to")


def sync(
    repo: gitstore.Repo,
    remote: Remote,
    *,
    push: bool = True,
    timeout: float | None = None,
    attempts: int = retry.REMOTE_ROUNDS.tries,
) -> SyncReport:
    """Fetch, merge and (unless ``push`` is False) push runs, notes and deploy refs.

    Retried, up to ``attempts`` rounds, while other writers (local runs, other pushers)
    win races; each retry looks at the remote afresh. Raises a one-line
    :class:`EnvironmentProblem` when the remote cannot be reached or refuses us.
    """
    report = SyncReport(remote=redact(remote.arg))
    last = ""
    for attempt in retry.attempts(retry.REMOTE_ROUNDS.with_tries(attempts)):
        report.attempts = attempt + 1
        report.conflicts.clear()
        try:
            theirs = ls_remote(repo, remote, timeout)
            _, deploys = _fetch(repo, remote, theirs, _local_refs(repo), report, timeout=timeout)
            refused = _merge_fetched(repo, theirs, deploys, report)
            if push:
                specs = _push_specs(repo, theirs, report, refused)
                if specs:
                    _push(repo, remote, specs, report, timeout)
                if report.archive_pushed:
                    _count_pushed(repo, theirs.get(ARCH), report)
                    _delete_archived(repo, remote, theirs, timeout)
            return report
        except _Retry as exc:
            last = str(exc)
    raise GitopsError(
        f"{remote.label} kept changing during {attempts} attempts ({redact(last)}); run sync again",
        3,
    )
