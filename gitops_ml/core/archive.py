"""Runs compacted into one reachability chain, so the number of refs stays bounded.

A remote advertises every ref it holds to every ``git push`` and ``git fetch`` of every
teammate. Measured here (git 2.39, a local bare remote): a plain ``git push`` of a branch
to a remote holding 1,000 ``refs/runs/*`` took 3.1x the same push to a remote without
them, before any run was sent. So the runs that travel live under one ref,
``refs/gitops-ml/archive``:

- a chain of commits whose extra parents are the archived run commits (an octopus of at
  most :data:`PARENTS` runs each), so one ref keeps them reachable: fetched, pushed,
  never pruned;
- the tip's tree is the index of every archived run: ``<last two characters of the
  id>/<run id>`` entries of mode 160000 (a gitlink) naming the run commit (the last two
  characters are random; the first ones are the time, and would put every run in one
  directory), so ``git ls-tree -r`` resolves any archived id, and archiving 20 runs
  rewrites at most 20 small directories and the root.

``refs/runs/<id>`` holds the runs recorded since the last ``sync`` or compaction
(recording stays one ref creation); ``sync`` archives them, pushes the archive, and removes
run refs the archive now holds (locally, and on a remote written by older versions).
Recording archives them too once more than :data:`LOCAL_ABOVE` gather
(:func:`maybe_compact`), so a clone that records a year of runs without syncing never
holds more than that many run refs, and its first ``sync`` pushes what a raw push would. Any id resolves
either way (:func:`gitstore.list_runs`). Archive moves and run-ref deletions are one
``update-ref`` transaction with every ref compare-and-swapped, so a run recorded
meanwhile is never touched and racing writers retry. Across clones archives merge as the
union of their indexes (an id names one commit; a different commit under a known id is
a conflict: reported, ours kept).

This module builds the objects; :mod:`gitstore` owns the ref transaction.
"""

from __future__ import annotations

import contextlib
import marshal
import os
import time

from gitops_ml.core import git, gitstore, retry
from gitops_ml.core.atomic import write_atomic
from gitops_ml.core.errors import GitopsError
from gitops_ml.core.ids import started_ms

TYPE_CHECKING = False  # typing costs ~7 ms to import: only for the type checker
if TYPE_CHECKING:
    from collections.abc import Mapping
    from pathlib import Path

ARCHIVE_REF = gitstore.ARCHIVE_REF
PARENTS = 1000  # run commits per archive commit (octopus size)
LOCAL_ABOVE = 1000  # run refs recording leaves in place; past this many it archives them
_PACKED_RUNS = "packed-runs"  # "<packed-refs stat> <run refs in it>": counted once per file


class Contended(GitopsError):
    """Other writers kept moving the archive or the run refs first."""


def fan(run_id: str) -> str:
    """The directory of a run in the archive tree (the id's last two characters)."""
    return run_id[-2:]


# ---------------------------------------------------------------- reading


def _cache_path(repo: gitstore.Repo) -> Path:
    return repo.state_dir / "archive.bin"


def _save_cache(repo: gitstore.Repo, commit: str, found: Mapping[str, str]) -> None:
    data = marshal.dumps({"commit": commit, "entries": dict(found)})
    with contextlib.suppress(OSError):  # a derived cache: not saving it loses nothing
        write_atomic(_cache_path(repo), data, durable=False, mkdir=True)


def entries(repo: gitstore.Repo, commit: str | None = None) -> dict[str, str]:
    """``{run id: run commit}`` of the archive at ``commit`` (default: the ref's value),
    cached in ``.git/gitops-ml/archive.bin`` by archive commit (derived state)."""
    if commit is None:
        commit = gitstore.resolve_ref(repo, ARCHIVE_REF)
        if commit is None:
            return {}
    try:
        with open(_cache_path(repo), "rb") as fh:
            saved = marshal.load(fh)
        if isinstance(saved, dict) and saved.get("commit") == commit:
            return dict(saved["entries"])
    except (OSError, EOFError, ValueError, TypeError, KeyError):
        pass
    found = {i: c for i, c, _ in _list(repo, f"{commit}^{{tree}}")}
    _save_cache(repo, commit, found)
    return found


def _list(repo: gitstore.Repo, tree: str) -> list[tuple[str, str, str]]:
    """``(run id, commit, path)`` of the gitlinks of an archive tree (anything else,
    with a path that is not ``<fan>/<run id>``, is returned with an empty id)."""
    out = []
    text = git.run(["ls-tree", "-r", "-z", tree], repo.top).stdout.decode(errors="replace")
    for item in text.split("\0"):
        if not item:
            continue
        meta, _, path = item.partition("\t")
        parts = meta.split()
        head, _, run_id = path.rpartition("/")
        ok = len(parts) == 3 and parts[0] == "160000" and gitstore.is_run_id(run_id)
        ok = ok and head == fan(run_id)
        out.append((run_id if ok else "", parts[2] if len(parts) == 3 else "", path))
    return out


def _diff(repo: gitstore.Repo, old: str, new: str) -> list[tuple[str, str, str, str]]:
    """``(status, run id, commit, path)`` of the archive entries ``new`` adds (``A``) or
    changes (``M``) against ``old`` (tree-ish), at a cost in the difference."""
    text = git.run(
        ["diff-tree", "-r", "-z", "--no-renames", "--diff-filter=AM", old, new], repo.top
    ).stdout.decode(errors="replace")
    fields = text.split("\0")
    out = []
    for i in range(0, len(fields) - 1, 2):
        meta = fields[i].lstrip(":").split()
        if len(meta) < 5:
            continue
        path = fields[i + 1]
        head, _, run_id = path.rpartition("/")
        ok = meta[1] == "160000" and gitstore.is_run_id(run_id) and head == fan(run_id)
        out.append((meta[4], run_id if ok else "", meta[3], path))
    return out


# ---------------------------------------------------------------- writing


def _tree_with(repo: gitstore.Repo, base: str | None, add: Mapping[str, str]) -> str:
    """``base`` (an archive tree, or None) with the gitlinks ``add`` put in; only the
    directories they land in are read and rewritten."""
    cat = gitstore.shared_cat(repo)
    id_len = repo.id_len
    root: dict[bytes, tuple[bytes, bytes]] = {}
    if base:
        got = cat.get(base)
        if got is None:
            raise GitopsError(f"{ARCHIVE_REF}: tree {base[:12]} is missing", 3)
        for mode, entry, oid in gitstore._parse_tree(got[2], id_len):
            root[entry] = (mode, oid)
    by_dir: dict[str, dict[str, str]] = {}
    for run_id, commit in add.items():
        by_dir.setdefault(fan(run_id), {})[run_id] = commit
    for name, items in by_dir.items():
        key = name.encode()
        sub: dict[bytes, tuple[bytes, bytes]] = {}
        if key in root:
            got = cat.get(root[key][1].hex())
            if got is None:
                raise GitopsError(f"{ARCHIVE_REF}: a directory of the index is missing", 3)
            sub = {n: (m, o) for m, n, o in gitstore._parse_tree(got[2], id_len)}
        for run_id, commit in items.items():
            sub[run_id.encode()] = (b"160000", bytes.fromhex(commit))
        new_sub = gitstore.write_object(
            repo, "tree", gitstore._tree_bytes([(m, n, o) for n, (m, o) in sub.items()])
        )
        root[key] = (b"40000", bytes.fromhex(new_sub))
    return gitstore.write_object(
        repo, "tree", gitstore._tree_bytes([(m, n, o) for n, (m, o) in root.items()])
    )


def _tree_of(repo: gitstore.Repo, commit: str | None) -> str | None:
    if commit is None:
        return None
    got = gitstore.shared_cat(repo).get(f"{commit}^{{tree}}")
    return got[0] if got else None


def _date(chunk: list[str]) -> float:
    """An archive commit's date: the start of the newest run it holds (now, for a merge).

    Not the time of compaction: git walks history newest first, and an archive chain
    dated "now" is walked to its root before any run below it, every run parent then
    inserted into a date-ordered list that grows to all the runs (quadratic: ``git
    rev-list`` of 40,000 archived runs took 4.1 s dated now, 0.45 s dated by their runs,
    and pushing the archive the same). Dated by its runs, each archive commit's runs are
    walked before the commit below it, and the pending list stays one octopus wide.
    """
    started = [ms for ms in map(started_ms, chunk) if ms is not None]
    return max(started) / 1000 if started else time.time()


def build(
    repo: gitstore.Repo,
    old: str | None,
    add: Mapping[str, str],
    *,
    merge: str | None = None,
    base_tree: str | None = None,
) -> str:
    """Archive commits on top of ``old`` holding the runs ``add`` (``{id: commit}``),
    :data:`PARENTS` run parents per commit (all sharing the final index tree), the first
    one also merging ``merge`` (another archive) when given; returns the tip."""
    ident = gitstore.identity(repo)
    tree = _tree_with(repo, base_tree if base_tree else _tree_of(repo, old), add)
    ids = sorted(add)
    chunks = [ids[s : s + PARENTS] for s in range(0, len(ids), PARENTS)] or [[]]
    tip = old
    for n, chunk in enumerate(chunks):
        parents = [tip] if tip else []
        if n == 0 and merge:
            parents.append(merge)
        parents += [add[i] for i in chunk]
        what = f"archive {len(chunk)} runs" if chunk else "merge archives"
        tip = gitstore.write_object(
            repo,
            "commit",
            gitstore._commit_bytes(tree, parents, ident, _date(chunk), f"gitops-ml: {what}\n"),
        )
    assert tip is not None
    return tip


class Compacted:
    """What :func:`compact` did."""

    __slots__ = ("archived", "conflicts", "gained", "outcome")

    def __init__(self) -> None:
        self.archived: list[str] = []  # run ids moved from refs/runs into the archive
        self.gained: list[str] = []  # run ids new to this clone, from the other archive
        self.conflicts: list[tuple[str, str, str]] = []  # (id, ours, theirs): ours kept
        self.outcome = "unchanged"  # or "archived", "fast-forwarded", "merged"


def compact(
    repo: gitstore.Repo,
    keep: int = 0,
    *,
    theirs: str | None = None,
    policy: retry.Policy = retry.ARCHIVE_CAS,
) -> Compacted:
    """Archive the run refs (all but the newest ``keep``) and, when given, merge the
    (validated, :func:`check`) archive ``theirs``; the run refs the archive then holds are
    deleted, all in one transaction retried while other writers win.
    """
    if keep < 0:
        raise GitopsError("--keep must be 0 or more", 2)
    for _ in retry.attempts(policy):
        done = Compacted()
        refs, old = gitstore._list_runs(repo)  # the refs and the archive, in one read
        _check_local(repo, old)
        have = entries(repo, old) if old else {}
        ids = sorted(refs)
        move = {i: refs[i] for i in ids[: max(0, len(ids) - keep)]}
        done.conflicts = [(i, have[i], c) for i, c in move.items() if i in have and have[i] != c]
        move = {i: c for i, c in move.items() if i not in have}
        add = dict(move)
        plan = _Plan(old)
        if (
            theirs is not None
            and theirs != old
            and not (old is not None and gitstore._is_ancestor(repo, theirs, old))
        ):
            add = _merge_plan(repo, plan, theirs, have=have, refs=refs, add=add, done=done)
        base_tree, merge_with, chain, theirs_add = (
            plan.base_tree,
            plan.merge_with,
            plan.chain,
            plan.theirs_add,
        )
        held = {**have, **theirs_add, **add} if base_tree is not None else {**have, **add}
        stale = {i: c for i, c in refs.items() if held.get(i) == c}
        if not add and not stale and merge_with is None and chain == old:
            return done
        if add or merge_with:
            tip = build(repo, chain, add, merge=merge_with, base_tree=base_tree)
        else:
            assert chain is not None
            tip = chain
        if gitstore.archive_transaction(repo, tip, old, stale):
            _save_cache(repo, tip, held)
            done.archived = sorted(i for i in move if i in stale)
            if done.archived and done.outcome == "unchanged":
                done.outcome = "archived"
            return done
    raise Contended(f"could not update {ARCHIVE_REF}: too many concurrent writers", 3)


# ---------------------------------------------------------------- while recording


def local_above() -> int:
    """Run refs recording leaves as they are (``GITOPS_ML_COMPACT_ABOVE``, default
    :data:`LOCAL_ABOVE`)."""
    try:
        return max(0, int(os.environ.get("GITOPS_ML_COMPACT_ABOVE", LOCAL_ABOVE)))
    except ValueError:
        return LOCAL_ABOVE


def _packed_runs(repo: gitstore.Repo) -> int:
    """How many ``refs/runs/`` lines ``packed-refs`` holds, counted once per version of
    the file (its stat, saved beside the other derived state)."""
    try:
        st = os.stat(repo.common_dir / "packed-refs")
    except OSError:
        return 0
    key = f"{st.st_ino}:{st.st_size}:{st.st_mtime_ns}"
    saved = repo.state_dir / _PACKED_RUNS
    try:
        seen, _, count = saved.read_text().partition(" ")
        if seen == key:
            return int(count)
    except (OSError, UnicodeDecodeError, ValueError):
        pass
    try:
        with open(repo.common_dir / "packed-refs", "rb") as fh:
            count_now = fh.read().count(b" " + gitstore.RUNS_PREFIX.encode())
    except OSError:
        return 0
    with contextlib.suppress(OSError):  # derived: not saving it only costs a recount
        write_atomic(saved, f"{key} {count_now}".encode(), durable=False, mkdir=True)
    return count_now


def run_refs_estimate(repo: gitstore.Repo) -> int:
    """An upper bound of the run refs, from the file system alone: the loose files under
    ``refs/runs/`` plus the run refs in ``packed-refs`` (a ref both loose and packed is
    counted twice). No git process: recording asks this after every run."""
    try:
        loose = len(os.listdir(repo.common_dir / gitstore.RUNS_PREFIX))
    except OSError:
        loose = 0
    return loose + _packed_runs(repo)


def due(repo: gitstore.Repo) -> bool:
    """More than :func:`local_above` run refs (:func:`run_refs_estimate`): time to compact."""
    return run_refs_estimate(repo) > local_above()


def maybe_compact(repo: gitstore.Repo) -> Compacted | None:
    """After a run is recorded: when more than :func:`local_above` run refs have gathered,
    archive them all (as ``runs compact`` does), in one attempt.

    Costs one directory listing and one stat below the threshold. Above it, rewriting the
    archive index directories the runs land in and deleting their refs: measured 0.2-0.3 s
    at 10,000 archived runs, 0.8-0.9 s at 100,000 (under 1 ms a run, paid once per 1,001). A writer racing it wins: the runs
    stay refs and the next recording tries again. Any other failure is warned about and
    leaves the runs as refs; the run just recorded is never at stake.
    """
    if not due(repo):
        return None
    # one compaction at a time: the parallel jobs of a grid that cross the threshold
    # together do not all rebuild the archive index for one to win
    with gitstore.state_lock(repo, "compact.lock", wait=False) as alone:
        if not alone:
            return None  # another recording is compacting these very refs
        try:
            return compact(repo, 0, policy=retry.ONCE)
        except Contended:
            return None
        except (GitopsError, OSError) as exc:
            import sys

            print(f"gitops-ml: warning: run refs not archived: {exc}", file=sys.stderr)
            return None


def _check_local(repo: gitstore.Repo, old: str | None) -> None:
    """This clone's archive ref, if any, names a commit (else no transaction could move
    it, and every attempt would look like a lost race)."""
    if old is None:
        return
    got = gitstore.shared_cat(repo).get(old)
    if got is None or got[1] != "commit":
        raise GitopsError(
            f"{ARCHIVE_REF} names {old[:12]}, which is not an archive commit; "
            f"see `git cat-file -t {ARCHIVE_REF}`",
            3,
        )


class _Plan:
    """How :func:`compact` builds on the other side's archive."""

    __slots__ = ("base_tree", "chain", "merge_with", "theirs_add")

    def __init__(self, old: str | None) -> None:
        self.base_tree: str | None = None  # start the index from this tree (fast-forward)
        self.merge_with: str | None = None  # a second parent: the other archive
        self.chain = old  # the archive commit the new ones go on top of
        self.theirs_add: dict[str, str] = {}  # entries the other archive adds


def _merge_plan(
    repo: gitstore.Repo,
    plan: _Plan,
    theirs: str,
    *,
    have: dict[str, str],
    refs: dict[str, str],
    add: dict[str, str],
    done: Compacted,
) -> dict[str, str]:
    """Fill ``plan`` to take in the archive ``theirs``; returns the runs still to add."""
    old = plan.chain
    plan.theirs_add = theirs_add = _added(repo, old, theirs)
    for i, c in theirs_add.items():
        mine = have.get(i) or refs.get(i)
        if mine is not None and mine != c:
            done.conflicts.append((i, mine, c))
    if old is None or gitstore._is_ancestor(repo, old, theirs):
        # fast-forward onto theirs: its tree already indexes what it adds
        add = {i: c for i, c in add.items() if i not in theirs_add}
        plan.base_tree = _tree_of(repo, theirs)
        plan.chain = theirs
        done.outcome = "fast-forwarded"
    else:
        for i, c in theirs_add.items():
            if i not in have and i not in refs:
                add.setdefault(i, c)
        plan.merge_with = theirs
        done.outcome = "merged"
    done.gained = sorted(i for i in theirs_add if i not in have and i not in refs)
    return add


def _added(repo: gitstore.Repo, old: str | None, theirs: str) -> dict[str, str]:
    """The entries archive ``theirs`` holds that ``old`` does not (or differently)."""
    if old is None:
        return {i: c for i, c, _ in _list(repo, f"{theirs}^{{tree}}") if i}
    return {i: c for _, i, c, _ in _diff(repo, f"{old}^{{tree}}", f"{theirs}^{{tree}}") if i}


def check(repo: gitstore.Repo, theirs: str) -> None:
    """Validate a fetched archive before anything is merged: a commit whose index
    entries (those new to this clone: the cost is the difference) are ``<fan>/<run id>``
    gitlinks naming commits that arrived; else :class:`gitstore.Refused`."""
    what = ARCHIVE_REF
    gitstore.check_commit(repo, what, theirs)
    old = gitstore.resolve_ref(repo, ARCHIVE_REF)
    if old is None:
        rows = [(i, c, p) for i, c, p in _list(repo, f"{theirs}^{{tree}}")]
    else:
        rows = [(i, c, p) for _, i, c, p in _diff(repo, f"{old}^{{tree}}", f"{theirs}^{{tree}}")]
    for run_id, _, path in rows:
        if not run_id:
            shown = path.encode("unicode_escape").decode("ascii")[:80]
            raise gitstore.Refused(what, f"entry {shown!r} is not <xx>/<run id>")
    new = sorted({c for _, c, _ in rows})
    if new:
        proc = git.run(
            ["cat-file", "--batch-check=%(objecttype)"],
            repo.top,
            input="".join(f"{c}\n" for c in new).encode(),
        )
        kinds = proc.stdout.decode().split()
        if len(kinds) != len(new) or any(k != "commit" for k in kinds):
            raise gitstore.Refused(what, "it names run commits that were not sent")
