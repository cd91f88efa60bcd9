"""The only module that writes to ``.git``: snapshots, run refs, notes, deploy refs.

Storage contract (see README, "Storage contract"):

- ``refs/runs/<run-id>``: one commit per run; tree = code snapshot, parent = HEAD of that
  moment, message = ``gitops-ml run <id>`` + blank line + the run record as JSON.
- ``refs/notes/gitops-ml``: append-only JSON lines, merged with ``cat_sort_uniq``.
- ``refs/deploy/<environment>``: a chain of commits, one per deploy.

Writes are a single ``git fast-import`` (objects, no refs) followed by one atomic
``git update-ref --stdin`` transaction, so a killed process leaves either the whole run or
nothing but unreachable objects; the notes ref is compare-and-swapped and retried.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import time
import zlib
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from gitops_ml import git
from gitops_ml.errors import GitopsError, UsageError

RUNS_PREFIX = "refs/runs/"
NOTES_REF = "refs/notes/gitops-ml"
DEPLOY_PREFIX = "refs/deploy/"
ZERO = "0" * 40
MESSAGE_HEADER = "gitops-ml run "


@dataclass(frozen=True)
class Repo:
    """A git work tree as gitops-ml sees it."""

    top: Path  # root of the work tree
    git_dir: Path  # this work tree's git dir (differs from common_dir in a linked worktree)
    common_dir: Path  # where refs and objects live
    prefix: str  # the current directory relative to ``top`` ("" or "sub/dir/")

    @property
    def state_dir(self) -> Path:
        """``.git/gitops-ml/``: derived local state and the local data cache."""
        return self.common_dir / "gitops-ml"

    def tmp_dir(self) -> Path:
        d = self.state_dir / "tmp"
        d.mkdir(parents=True, exist_ok=True)
        return d


def open_repo(cwd: str | os.PathLike[str] | None = None) -> Repo:
    """Find the repository containing ``cwd`` (or raise a one-line usage error)."""
    where = os.fspath(cwd) if cwd is not None else os.getcwd()
    proc = git.run(
        [
            "rev-parse",
            "--show-toplevel",
            "--absolute-git-dir",
            "--git-common-dir",
            "--show-prefix",
        ],
        where,
        check=False,
    )
    if proc.returncode != 0:
        raise git.not_a_repo(where)
    lines = proc.stdout.decode().split("\n")
    if len(lines) < 4 or not lines[0]:
        raise UsageError(f"{where}: not inside a git work tree (a bare repository has no runs to make)")
    top, git_dir, common = Path(lines[0]), Path(lines[1]), Path(lines[2])
    if not common.is_absolute():
        common = (Path(where) / common).resolve()
    return Repo(top=top, git_dir=git_dir, common_dir=common, prefix=lines[3])


# ---------------------------------------------------------------- reading objects


class CatFile:
    """One ``git cat-file --batch`` process for many reads."""

    def __init__(self, repo: Repo) -> None:
        self._proc = subprocess.Popen(
            ["git", "cat-file", "--batch"],
            cwd=repo.top,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            env=git.git_env(),
        )

    def get(self, spec: str) -> tuple[str, str, bytes] | None:
        """``(sha, type, content)`` of ``spec``, or None if it does not exist."""
        assert self._proc.stdin is not None and self._proc.stdout is not None
        self._proc.stdin.write(spec.encode() + b"\n")
        self._proc.stdin.flush()
        header = self._proc.stdout.readline().split()
        if len(header) != 3:
            return None
        size = int(header[2])
        data = self._proc.stdout.read(size + 1)[:-1]
        return header[0].decode(), header[1].decode(), data

    def close(self) -> None:
        if self._proc.stdin:
            self._proc.stdin.close()
        self._proc.wait()

    def __enter__(self) -> CatFile:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def read_objects(repo: Repo, specs: Sequence[str]) -> list[bytes | None]:
    """Contents of many objects in one batch (None where an object is missing)."""
    if not specs:
        return []
    proc = git.run(["cat-file", "--batch"], repo.top, input="".join(f"{s}\n" for s in specs).encode())
    data = proc.stdout
    results: list[bytes | None] = []
    pos = 0
    for _ in specs:
        eol = data.index(b"\n", pos)
        header = data[pos:eol].split()
        pos = eol + 1
        if len(header) != 3:
            results.append(None)
            continue
        size = int(header[2])
        results.append(data[pos : pos + size])
        pos += size + 1
    return results


def head_info(repo: Repo) -> tuple[str | None, str | None, str | None]:
    """``(head commit, head tree, branch)``; commit and tree are None on an unborn branch,
    branch is None on a detached HEAD (one git process)."""
    head_file = (repo.git_dir / "HEAD").read_text().strip()
    branch = head_file[5:] if head_file.startswith("ref: ") else None
    if branch and branch.startswith("refs/heads/"):
        branch = branch[len("refs/heads/") :]
    with CatFile(repo) as cat:
        got = cat.get("HEAD")
    if got is None:
        return None, None, branch
    sha, _, content = got
    tree = content.split(b"\n", 1)[0].split()[1].decode()
    return sha, tree, branch


# ---------------------------------------------------------------- writing objects


def write_blob(repo: Repo, data: bytes) -> str:
    """Write ``data`` as a loose blob (atomically) and return its id."""
    from hashlib import sha1

    header = f"blob {len(data)}\0".encode()
    oid = sha1(header + data).hexdigest()
    path = repo.common_dir / "objects" / oid[:2] / oid[2:]
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.parent / f"tmp_obj_{os.getpid()}_{time.monotonic_ns()}"
        tmp.write_bytes(zlib.compress(header + data, 1))
        os.chmod(tmp, 0o444)
        os.replace(tmp, path)
    return oid


@dataclass
class Snapshot:
    """The code snapshot: a tree id and the files left out of it."""

    tree: str
    skipped: list[tuple[str, int]] = field(default_factory=list)  # (path, size) too large


def _literal(path: str) -> str:
    return f":(top,literal){path}"


def snapshot(
    repo: Repo,
    *,
    exclude: Iterable[str] = (),
    max_untracked_bytes: int | None = 10 * 1024 * 1024,
    overrides: Mapping[str, bytes] | None = None,
) -> Snapshot:
    """Snapshot the work tree into a tree object without touching index, HEAD or files.

    Tracked changes and untracked-but-not-ignored files are included; paths in ``exclude``
    (declared data) are left out, as are untracked files larger than
    ``max_untracked_bytes``. ``overrides`` maps repo-relative paths to the content the
    snapshot should hold instead (the params file with ``-p`` overrides applied).
    """
    tmp = repo.tmp_dir()
    index = tmp / f"index-{os.getpid()}-{time.monotonic_ns()}"
    try:
        real_index = repo.git_dir / "index"
        if real_index.exists():
            shutil.copyfile(real_index, index)
        env = {"GIT_INDEX_FILE": str(index)}
        excluded = [p.rstrip("/") for p in exclude if p]
        skipped: list[tuple[str, int]] = []
        if max_untracked_bytes is not None:
            others = git.run(["ls-files", "-o", "--exclude-standard", "-z"], repo.top, env=env)
            for rel in others.stdout.decode(errors="surrogateescape").split("\0"):
                if not rel:
                    continue
                try:
                    size = os.lstat(repo.top / rel).st_size
                except OSError:
                    continue
                if size > max_untracked_bytes and not any(
                    rel == e or rel.startswith(e + "/") for e in excluded
                ):
                    skipped.append((rel, size))
        if excluded:
            # git refuses an exclude pathspec that names an ignored path: drop those.
            ignored = git.run(
                ["check-ignore", "-z", "--stdin"], repo.top, env=env, check=False,
                input="\0".join(excluded).encode(),
            ).stdout.decode().split("\0")
            excluded = [p for p in excluded if p not in ignored]
        specs = ["."] + [f":(top,exclude,literal){p}" for p in excluded]
        specs += [f":(top,exclude,literal){p}" for p, _ in skipped]
        git.run(
            ["add", "-A", "--pathspec-from-file=-", "--pathspec-file-nul"],
            repo.top,
            env=env,
            input="\0".join(specs).encode(errors="surrogateescape"),
        )
        if excluded:
            git.run(
                ["rm", "-r", "-q", "--cached", "--ignore-unmatch", "--pathspec-from-file=-",
                 "--pathspec-file-nul"],
                repo.top,
                env=env,
                input="\0".join(_literal(p) for p in excluded).encode(),
            )
        if overrides:
            info = "".join(
                f"100644 {write_blob(repo, content)}\t{path}\n" for path, content in overrides.items()
            )
            git.run(["update-index", "--index-info"], repo.top, env=env, input=info.encode())
        tree = git.out(["write-tree"], repo.top, env=env)
        return Snapshot(tree=tree, skipped=skipped)
    finally:
        index.unlink(missing_ok=True)


def _data_cmd(payload: bytes) -> bytes:
    return b"data %d\n" % len(payload) + payload + b"\n"


def _ident_line(kind: str, ident: tuple[str, str], when: float) -> bytes:
    name, email = ident
    return f"{kind} {name} <{email}> {int(when)} +0000\n".encode()


def identity(repo: Repo) -> tuple[str, str]:
    """The git identity (name, email), with a fallback when none is configured."""
    proc = git.run(["var", "GIT_AUTHOR_IDENT"], repo.top, check=False)
    if proc.returncode == 0:
        text = proc.stdout.decode(errors="replace").strip()
        name, _, rest = text.partition(" <")
        email = rest.split(">", 1)[0]
        return name, email
    import getpass
    import socket

    user = getpass.getuser()
    return user, f"{user}@{socket.gethostname()}"


def _note_paths(target: str) -> list[str]:
    return [target, f"{target[:2]}/{target[2:]}", f"{target[:2]}/{target[2:4]}/{target[4:]}"]


def _current_ref(cat: CatFile, ref: str) -> str | None:
    got = cat.get(ref)
    return got[0] if got else None


def _note_content(cat: CatFile, notes_commit: str | None, target: str) -> bytes:
    if notes_commit is None:
        return b""
    for path in _note_paths(target):
        got = cat.get(f"{notes_commit}:{path}")
        if got is not None and got[1] == "blob":
            return got[2]
    return b""


def _append_line(old: bytes, line: str) -> bytes:
    if old and not old.endswith(b"\n"):
        old += b"\n"
    return old + line.encode() + b"\n"


def write_run(
    repo: Repo,
    run_id: str,
    *,
    tree: str,
    parent: str | None,
    message: str,
    ident: tuple[str, str],
    when: float,
    note_lines: Mapping[str, str],
    retries: int = 200,
) -> str:
    """Create ``refs/runs/<run_id>`` and append the note lines, atomically.

    ``note_lines`` maps a commit id (or ``"@run"`` for the new run commit itself) to a
    JSON line to append to its note. Returns the run commit id.
    """
    ref = RUNS_PREFIX + run_id
    with CatFile(repo) as cat:
        for attempt in range(retries):
            notes_old = _current_ref(cat, NOTES_REF)
            stream = bytearray(b"feature done\n")
            stream += f"commit {ref}\nmark :1\n".encode()
            stream += _ident_line("author", ident, when) + _ident_line("committer", ident, when)
            stream += _data_cmd(message.encode())
            if parent:
                stream += f"from {parent}\n".encode()
            stream += f'M 040000 {tree} ""\n\n'.encode()
            if note_lines:
                stream += f"commit {NOTES_REF}\nmark :2\n".encode()
                stream += _ident_line("committer", ident, when)
                stream += _data_cmd(f"gitops-ml: notes for run {run_id}\n".encode())
                if notes_old:
                    stream += f"from {notes_old}\n".encode()
                for target, line in note_lines.items():
                    old = b"" if target == "@run" else _note_content(cat, notes_old, target)
                    stream += f"N inline {':1' if target == '@run' else target}\n".encode()
                    stream += _data_cmd(_append_line(old, line))
                stream += b"\n"
            stream += b"get-mark :1\n"
            if note_lines:
                stream += b"get-mark :2\n"
            stream += f"reset {ref}\nreset {NOTES_REF}\ndone\n".encode()
            proc = git.run(["fast-import", "--quiet", "--done"], repo.top, input=bytes(stream))
            marks = proc.stdout.decode().split()
            run_commit = marks[0]
            tx = f"start\ncreate {ref} {run_commit}\n"
            if note_lines:
                tx += f"update {NOTES_REF} {marks[1]} {notes_old or ZERO}\n"
            tx += "prepare\ncommit\n"
            done = git.run(["update-ref", "--stdin"], repo.top, input=tx.encode(), check=False)
            if done.returncode == 0:
                return run_commit
            if _current_ref(cat, ref) is not None:
                raise GitopsError(f"run {run_id} already exists", 2)
            time.sleep(min(0.002 * (attempt + 1), 0.05))
    raise GitopsError(f"could not update {NOTES_REF}: too many concurrent writers", 3)


def append_notes(repo: Repo, note_lines: Mapping[str, str], message: str, retries: int = 200) -> str:
    """Append JSON lines to notes of existing commits (compare-and-swap, retried)."""
    ident = identity(repo)
    with CatFile(repo) as cat:
        for attempt in range(retries):
            notes_old = _current_ref(cat, NOTES_REF)
            stream = bytearray(b"feature done\n")
            stream += f"commit {NOTES_REF}\nmark :2\n".encode()
            stream += _ident_line("committer", ident, time.time())
            stream += _data_cmd(message.encode())
            if notes_old:
                stream += f"from {notes_old}\n".encode()
            for target, line in note_lines.items():
                old = _note_content(cat, notes_old, target)
                stream += f"N inline {target}\n".encode() + _data_cmd(_append_line(old, line))
            stream += f"\nget-mark :2\nreset {NOTES_REF}\ndone\n".encode()
            proc = git.run(["fast-import", "--quiet", "--done"], repo.top, input=bytes(stream))
            new = proc.stdout.decode().split()[0]
            tx = f"start\nupdate {NOTES_REF} {new} {notes_old or ZERO}\nprepare\ncommit\n"
            if git.run(["update-ref", "--stdin"], repo.top, input=tx.encode(), check=False).returncode == 0:
                return new
            time.sleep(min(0.002 * (attempt + 1), 0.05))
    raise GitopsError(f"could not update {NOTES_REF}: too many concurrent writers", 3)


# ---------------------------------------------------------------- reading runs


def list_runs(repo: Repo) -> dict[str, str]:
    """All run ids and their commit ids, from one ``for-each-ref``."""
    text = git.out(["for-each-ref", "--format=%(objectname) %(refname)", RUNS_PREFIX], repo.top)
    runs: dict[str, str] = {}
    for line in text.splitlines():
        sha, _, name = line.partition(" ")
        runs[name[len(RUNS_PREFIX) :]] = sha
    return runs


def parse_run_message(message: bytes) -> str:
    """The JSON record text inside a run commit's message."""
    _, _, body = message.partition(b"\n\n")
    # skip the commit headers; then the message is "header\n\n{json}"
    _, _, record = body.partition(b"\n\n")
    return record.decode()


def read_run_records(repo: Repo, commits: Sequence[str]) -> list[str | None]:
    """The JSON record text of each run commit, in one batch read."""
    return [None if raw is None else parse_run_message(raw) for raw in read_objects(repo, commits)]


def read_notes(repo: Repo, commits: Sequence[str]) -> dict[str, list[str]]:
    """The note lines of each commit that has one (one ``notes list`` + one batch read)."""
    proc = git.run(["notes", f"--ref={NOTES_REF}", "list"], repo.top, check=False)
    if proc.returncode != 0:
        return {}
    blob_of: dict[str, str] = {}
    for line in proc.stdout.decode().splitlines():
        blob, _, target = line.partition(" ")
        blob_of[target] = blob
    wanted = [c for c in commits if c in blob_of]
    blobs = read_objects(repo, [blob_of[c] for c in wanted])
    return {
        c: [ln for ln in (b or b"").decode(errors="replace").splitlines() if ln.strip()]
        for c, b in zip(wanted, blobs, strict=True)
    }


def notes_of_all(repo: Repo) -> dict[str, list[str]]:
    """Every annotated commit and its note lines."""
    proc = git.run(["notes", f"--ref={NOTES_REF}", "list"], repo.top, check=False)
    if proc.returncode != 0:
        return {}
    pairs = [ln.split(" ", 1) for ln in proc.stdout.decode().splitlines() if " " in ln]
    blobs = read_objects(repo, [b for b, _ in pairs])
    return {
        t: [ln for ln in (b or b"").decode(errors="replace").splitlines() if ln.strip()]
        for (_, t), b in zip(pairs, blobs, strict=True)
    }


def resolve_ref(repo: Repo, spec: str) -> str | None:
    proc = git.run(["rev-parse", "-q", "--verify", f"{spec}^{{commit}}"], repo.top, check=False)
    return proc.stdout.decode().strip() if proc.returncode == 0 else None


def tree_of(repo: Repo, commit: str) -> str:
    return git.out(["rev-parse", f"{commit}^{{tree}}"], repo.top)


def diff_stat(repo: Repo, a: str, b: str) -> list[tuple[str, int, int]]:
    """``(path, added, deleted)`` lines between two trees or commits (binary: -1)."""
    text = git.out(["diff", "--numstat", "--no-renames", a, b], repo.top)
    rows: list[tuple[str, int, int]] = []
    for line in text.splitlines():
        added, deleted, path = line.split("\t", 2)
        rows.append((path, -1 if added == "-" else int(added), -1 if deleted == "-" else int(deleted)))
    return rows


def show_file(repo: Repo, commit: str, path: str) -> bytes | None:
    return read_objects(repo, [f"{commit}:{path}"])[0]


# ---------------------------------------------------------------- worktrees


def add_worktree(repo: Repo, commit: str, where: Path) -> None:
    """Check ``commit`` out into a new detached worktree at ``where``."""
    git.run(["worktree", "add", "--detach", "--force", "-q", str(where), commit], repo.top)


def remove_worktree(repo: Repo, where: Path) -> None:
    """Remove a worktree made by :func:`add_worktree` (and prune stale ones)."""
    git.run(["worktree", "remove", "--force", str(where)], repo.top, check=False)
    if where.exists():
        shutil.rmtree(where, ignore_errors=True)
    git.run(["worktree", "prune"], repo.top, check=False)


def make_commit(repo: Repo, tree: str, parent: str | None, message: str) -> str:
    """A commit object that no ref points to (for a worktree of a snapshot)."""
    args = ["commit-tree", tree, "-m", message]
    if parent:
        args += ["-p", parent]
    return git.out(args, repo.top)


def iter_lines(text: str) -> Iterator[str]:
    for line in text.splitlines():
        if line.strip():
            yield line
