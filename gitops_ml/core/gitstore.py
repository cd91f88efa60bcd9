"""The only module that writes to ``.git``: snapshots, run refs, notes, environments, deploys.

Storage contract v2 (see README, "Storage contract"):

- ``refs/runs/<run-id>``: one commit per run; tree = code snapshot, parent = HEAD of that
  moment, message = ``gitops-ml run <id>`` + blank line + the run record as JSON.
- ``refs/notes/gitops-ml``: append-only JSON lines of later facts (verified, tagged,
  linked, deployed), merged with ``cat_sort_uniq``; a new note goes under its
  two-character fan-out directory. No line per run on the commit it was made on (v1 wrote
  one; readers ignore them).
- ``refs/gitops-ml/environments``: a commit chain whose flat tree holds one
  ``<fingerprint>.json`` per distinct environment, the fingerprint being the BLAKE3 hash of
  the file's bytes, checked on every read.
- ``refs/deploy/<environment>``: a chain of commits, one per deploy.

Objects are written in-process (loose), then one atomic ``git update-ref --stdin``
transaction moves the refs, each by compare-and-swap, retried on conflict: a killed
process leaves either the whole run or nothing but unreachable objects.
"""

from __future__ import annotations

import contextlib
import functools
import os
import re
import shutil
import subprocess
import time
import zlib
from collections.abc import Iterable, Iterator, Mapping, Sequence
from pathlib import Path

from gitops_ml.core import git, retry
from gitops_ml.core.atomic import write_atomic
from gitops_ml.core.errors import EnvironmentProblem, GitopsError, UsageError

RUNS_PREFIX = "refs/runs/"
NOTES_REF = "refs/notes/gitops-ml"
DEPLOY_PREFIX = "refs/deploy/"
ZERO = "0" * 40
MESSAGE_HEADER = "gitops-ml run "
ENVIRONMENTS_REF = "refs/gitops-ml/environments"
ARCHIVE_REF = "refs/gitops-ml/archive"
_FINGERPRINT = re.compile(r"[0-9a-f]{64}")

TYPE_CHECKING = False  # typing costs ~7 ms to import: only for the type checker
if TYPE_CHECKING:
    from typing import Any


class Repo:
    """A git work tree as gitops-ml sees it.

    (Plain classes rather than dataclasses on the recording path: ``dataclasses`` imports
    ``inspect``, ~6 ms of every command's start-up.)
    """

    __slots__ = ("common_dir", "git_dir", "object_format", "prefix", "top")

    def __init__(
        self, top: Path, git_dir: Path, common_dir: Path, prefix: str, object_format: str = "sha1"
    ) -> None:
        self.top = top  # root of the work tree
        self.git_dir = git_dir  # this work tree's git dir (not common_dir in a linked worktree)
        self.common_dir = common_dir  # where refs and objects live
        self.prefix = prefix  # the current directory relative to ``top`` ("" or "sub/dir/")
        self.object_format = object_format  # "sha1" or "sha256"

    @property
    def id_len(self) -> int:
        """Bytes in an object id (20 for SHA-1, 32 for SHA-256)."""
        return 32 if self.object_format == "sha256" else 20

    @property
    def zero(self) -> str:
        """The all-zero object id ("must not exist" in a ref transaction)."""
        return "0" * (2 * self.id_len)

    def __repr__(self) -> str:
        return f"Repo(top={self.top!r}, prefix={self.prefix!r})"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Repo) and (self.top, self.git_dir) == (other.top, other.git_dir)

    def __hash__(self) -> int:
        return hash((self.top, self.git_dir))

    @property
    def state_dir(self) -> Path:
        """``.git/gitops-ml/``: derived local state and the local data cache."""
        return self.common_dir / "gitops-ml"

    def tmp_dir(self) -> Path:
        d = self.state_dir / "tmp"
        d.mkdir(parents=True, exist_ok=True)
        return d


_REPOS: dict[str, Repo] = {}


def open_repo(cwd: str | os.PathLike[str] | None = None) -> Repo:
    """Find the repository containing ``cwd`` (or raise a one-line usage error).

    Remembered per directory for the life of the process (the Python API opens the same
    repository for every run).
    """
    where = os.fspath(cwd) if cwd is not None else os.getcwd()
    known = _REPOS.get(where)
    if known is not None and known.git_dir.is_dir():
        return known
    proc = git.run(list(git.REV_PARSE_REPO), where, check=False)
    if proc.returncode != 0:
        raise git.not_a_repo(where)
    lines = proc.stdout.decode().split("\n")
    if len(lines) < 5 or not lines[0]:
        raise UsageError(
            f"{where}: not inside a git work tree (a bare repository has no runs to make)"
        )
    top, git_dir, common = Path(lines[0]), Path(lines[1]), Path(lines[2])
    if not common.is_absolute():
        common = (Path(where) / common).resolve()
    fmt = lines[4].strip() or "sha1"
    if fmt not in ("sha1", "sha256"):
        raise EnvironmentProblem(f"{top}: object format {fmt!r} is not supported (sha1, sha256)")
    repo = Repo(top=top, git_dir=git_dir, common_dir=common, prefix=lines[3], object_format=fmt)
    _REPOS[where] = repo
    return repo


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

    @property
    def alive(self) -> bool:
        return self._proc.poll() is None

    def get(self, spec: str) -> tuple[str, str, bytes] | None:
        """``(sha, type, content)`` of ``spec``, or None if it does not exist."""
        assert self._proc.stdin is not None and self._proc.stdout is not None
        if "\n" in spec:
            return None
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


_CATS: dict[Path, CatFile] = {}


def shared_cat(repo: Repo) -> CatFile:
    """A ``cat-file --batch`` process kept for the life of this process (one per repo)."""
    cat = _CATS.get(repo.common_dir)
    if cat is None or not cat.alive:
        if not _CATS:
            import atexit

            atexit.register(_close_cats)
        cat = _CATS[repo.common_dir] = CatFile(repo)
    return cat


def _close_cats() -> None:
    for cat in _CATS.values():
        cat.close()
    _CATS.clear()


def read_objects(repo: Repo, specs: Sequence[str]) -> list[bytes | None]:
    """Contents of many objects in one batch (None where an object is missing)."""
    if not specs:
        return []
    proc = git.run(
        ["cat-file", "--batch"], repo.top, input="".join(f"{s}\n" for s in specs).encode()
    )
    return split_batch(proc.stdout, len(specs))


def split_batch(data: bytes, count: int) -> list[bytes | None]:
    """The ``count`` object contents in ``git cat-file --batch`` output, in order (None for
    a ``<spec> missing`` line, and for every object past the end of truncated output)."""
    results: list[bytes | None] = []
    pos = 0
    for _ in range(count):
        eol = data.find(b"\n", pos)
        if eol < 0:
            results.append(None)
            continue
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
    got = shared_cat(repo).get("HEAD")
    if got is None:
        return None, None, branch
    sha, _, content = got
    tree = content.split(b"\n", 1)[0].split()[1].decode()
    return sha, tree, branch


# ---------------------------------------------------------------- writing objects


def write_object(repo: Repo, kind: str, data: bytes) -> str:
    """Write a loose object (temp file + rename, as git does) and return its id."""
    header = f"{kind} {len(data)}\0".encode()
    if repo.object_format == "sha256":
        from hashlib import sha256

        oid: str = sha256(header + data).hexdigest()
    else:
        try:  # the built-in SHA-1: hashlib would load OpenSSL (~2.5 ms) for four small objects
            from _sha1 import sha1  # type: ignore[import-not-found]
        except ImportError:  # pragma: no cover - other Pythons
            from hashlib import sha1
        oid = sha1(header + data).hexdigest()
    path = repo.common_dir / "objects" / oid[:2] / oid[2:]
    if not path.exists():
        write_atomic(path, zlib.compress(header + data, 1), mode=0o444, durable=False, mkdir=True)
    return oid


def write_blob(repo: Repo, data: bytes) -> str:
    """Write ``data`` as a loose blob and return its id."""
    return write_object(repo, "blob", data)


class Snapshot:
    """The code snapshot: a tree id and the files left out of it."""

    __slots__ = ("secrets", "skipped", "tree")

    def __init__(
        self,
        tree: str,
        skipped: list[tuple[str, int]] | None = None,
        secrets: list[tuple[str, int]] | None = None,
    ) -> None:
        self.tree = tree
        self.skipped = skipped or []  # (path, size) of untracked files too large to keep
        self.secrets = secrets or []  # (path, size) of untracked files that may hold secrets


# Files that may hold credentials, left out of every snapshot unless they are tracked
# (a committed file is code the user chose to share). A pattern without "/" matches a
# file name at any depth; with "/", the trailing path components; "*" never crosses "/".
# ``secrets_exclude`` in gitops-ml.yaml adds patterns; "!pattern" there keeps matching files.
SECRET_FILES = (
    ".env",
    ".env.*",
    "*.env",
    ".envrc",
    "*.pem",
    "*.key",
    "*.p12",
    "*.pfx",
    "*.jks",
    "*.keystore",
    "*.kdbx",
    "id_rsa",
    "id_dsa",
    "id_ecdsa",
    "id_ed25519",
    "*.ppk",
    ".netrc",
    "_netrc",
    ".pgpass",
    ".pypirc",
    ".npmrc",
    ".git-credentials",
    ".htpasswd",
    ".aws/credentials",
    ".aws/config",
    ".azure/*",
    ".kube/config",
    "kubeconfig",
    ".docker/config.json",
    "credentials.json",
    "client_secret*.json",
    "service-account*.json",
    "service_account*.json",
    "application_default_credentials.json",
    "*-sa-key.json",
    "secrets.yaml",
    "secrets.yml",
    "secrets.toml",
    ".secrets.toml",
)


def secret_patterns(configured: Iterable[str] = ()) -> list[str]:
    """The default :data:`SECRET_FILES` followed by the configured patterns (a
    ``!pattern`` there keeps matching files in snapshots: the last match wins)."""
    return [*SECRET_FILES, *(p for p in configured if p.strip("!/"))]


@functools.lru_cache(maxsize=8)
def _compiled(patterns: tuple[str, ...]) -> list[tuple[bool, re.Pattern[str]]]:
    """Each pattern as ``(keep, regex over a whole path)``, last first."""
    out = []
    for pattern in reversed(patterns):
        keep = pattern.startswith("!")
        parts = (pattern[1:] if keep else pattern).strip("/").split("/")
        body = "/".join(_glob_regex(p) for p in parts)
        out.append((keep, re.compile(f"(?:^|/){body}\\Z", re.S)))
    return out


def _glob_regex(part: str) -> str:
    """One path component of a pattern: ``*`` and ``?`` never match ``/``."""
    out, i = [], 0
    while i < len(part):
        c = part[i]
        if c == "*":
            out.append("[^/]*")
        elif c == "?":
            out.append("[^/]")
        elif c == "[" and "]" in part[i + 2 :]:
            end = part.index("]", i + 2)
            inner = part[i + 1 : end].replace("\\", "\\\\")
            out.append(f"[^{inner[1:]}]" if inner.startswith("!") else f"[{inner}]")
            i = end
        else:
            out.append(re.escape(c))
        i += 1
    return "".join(out)


def is_secret_file(rel: str, patterns: Sequence[str]) -> bool:
    """Whether the repo-relative path ``rel`` is secret-bearing by ``patterns``: the last
    pattern that matches decides, as in ``.gitignore`` (``!pattern`` means keep)."""
    for keep, regex in _compiled(tuple(patterns)):
        if regex.search(rel):
            return not keep
    return False


def _literal(path: str) -> str:
    return f":(top,literal){path}"


class _LeftOut:
    """What stays out of a snapshot, from the untracked files git lists."""

    def __init__(self) -> None:
        self.data: list[str] = []  # data paths holding untracked files
        self.large: list[tuple[str, int]] = []  # (path, size) above the size limit
        self.secret: list[tuple[str, int]] = []  # (path, size) that may hold secrets


def _left_out(
    repo: Repo,
    env: Mapping[str, str],
    data: Sequence[str],
    max_untracked_bytes: int | None,
    secrets: Sequence[str],
) -> _LeftOut:
    """The untracked (not ignored) files that stay out of the snapshot: those inside the
    data paths (only a data path holding some needs excluding: git refuses an exclude
    pathspec that names an ignored path, and an ignored one lists nothing), those larger
    than ``max_untracked_bytes`` and those matching ``secrets``."""
    out = _LeftOut()
    others = git.run(["ls-files", "-o", "--exclude-standard", "-z"], repo.top, env=env)
    for rel in others.stdout.decode(errors="surrogateescape").split("\0"):
        if not rel:
            continue
        inside = next((p for p in data if rel == p or rel.startswith(p + "/")), None)
        if inside is not None:
            if inside not in out.data:
                out.data.append(inside)
            continue
        if secrets and is_secret_file(rel, secrets):
            out.secret.append((rel, _size(repo.top / rel)))
            continue
        if max_untracked_bytes is not None:
            size = _size(repo.top / rel)
            if size > max_untracked_bytes:
                out.large.append((rel, size))
    return out


def _size(path: Path) -> int:
    try:
        return os.lstat(path).st_size
    except OSError:
        return 0


def _tracked_changes(repo: Repo, env: Mapping[str, str], paths: Sequence[str]) -> bytes:
    """Tracked files inside the data paths that differ from the index (NUL-separated):
    tracked files stay code, so their work-tree changes go into the snapshot."""
    if not paths:
        return b""
    return git.run(
        ["diff-files", "--name-only", "-z", "--", *(_literal(p) for p in paths)],
        repo.top,
        env=dict(env),
        check=False,
    ).stdout.strip(b"\0")


def snapshot(
    repo: Repo,
    *,
    exclude: Iterable[str] = (),
    max_untracked_bytes: int | None = 10 * 1024 * 1024,
    overrides: Mapping[str, bytes] | None = None,
    secrets: Sequence[str] = SECRET_FILES,
) -> Snapshot:
    """Snapshot the work tree into a tree object without touching index, HEAD or files.

    Tracked changes and untracked-but-not-ignored files are included. Left out: untracked
    files inside ``exclude`` (the declared data; tracked files there stay code), untracked
    files larger than ``max_untracked_bytes``, and untracked files matching ``secrets``
    (patterns, see :func:`is_secret_file`). ``overrides`` maps repo-relative paths to the
    content the snapshot should hold instead (the params file with ``-p`` applied).
    """
    tmp = repo.tmp_dir()
    index = tmp / f"index-{os.getpid()}-{time.monotonic_ns()}"
    try:
        real_index = repo.git_dir / "index"
        if real_index.exists():
            # copy2 keeps the index's mtime: git's racy-clean check compares it with each
            # file's, so an edit of the same size in the same second is still seen.
            shutil.copy2(real_index, index)
        env = {"GIT_INDEX_FILE": str(index)}
        data = [p.rstrip("/") for p in exclude if p]
        out = _left_out(repo, env, data, max_untracked_bytes, secrets)
        # An excluded data path's tracked files are left alone by add: their changes go in
        # by hand (a data path not excluded is added as a whole, untracked files none).
        changed = _tracked_changes(repo, env, out.data)
        specs = ["."] + [f":(top,exclude,literal){p}" for p in out.data]
        specs += [f":(top,exclude,literal){p}" for p, _ in out.large + out.secret]
        git.run(
            ["add", "-A", "--pathspec-from-file=-", "--pathspec-file-nul"],
            repo.top,
            env=env,
            input="\0".join(specs).encode(errors="surrogateescape"),
        )
        if changed:
            git.run(
                ["update-index", "--add", "--remove", "-z", "--stdin"],
                repo.top,
                env=env,
                input=changed,
            )
        if overrides:
            info = "".join(
                f"100644 {write_blob(repo, content)}\t{path}\n"
                for path, content in overrides.items()
            )
            git.run(["update-index", "--index-info"], repo.top, env=env, input=info.encode())
        # Every blob in the index was just written by add (or by git before): skip the
        # existence check of each one (10,000 files: half of write-tree's time).
        tree = git.out(["write-tree", "--missing-ok"], repo.top, env=env)
        return Snapshot(tree=tree, skipped=out.large, secrets=out.secret)
    finally:
        index.unlink(missing_ok=True)


def _clean_ident(text: str) -> str:
    return "".join(c for c in text if c not in "<>\n\0").strip()


def _commit_bytes(
    tree: str, parents: Sequence[str], ident: tuple[str, str], when: float, message: str
) -> bytes:
    who = f"{_clean_ident(ident[0])} <{_clean_ident(ident[1])}> {int(when)} +0000"
    head = f"tree {tree}\n" + "".join(f"parent {p}\n" for p in parents)
    return f"{head}author {who}\ncommitter {who}\n\n{message}".encode()


_IDENTS: dict[tuple[Path, str, str], tuple[str, str]] = {}


# What git strips from both ends of an identity's name and email (ident.c ``crud``, plus
# '.', which older git versions stripped too): a value ending in one goes through git.
_CRUD = frozenset(",:;<>\"\\'.")


def _plain(value: str) -> bool:
    """Printable (no line break, no undecodable byte), no '<' or '>', nothing to trim."""
    return (
        value.isprintable()
        and "<" not in value
        and ">" not in value
        and all(c > " " and c not in _CRUD for c in value[:1] + value[-1:])
        and bool(value)
    )


def identity(repo: Repo) -> tuple[str, str]:
    """The git identity (name, email), with a fallback when none is configured.

    ``GIT_AUTHOR_NAME`` and ``GIT_AUTHOR_EMAIL`` both set (and nothing for git to trim)
    override any configuration: they are the identity, no ``git var`` needed.
    """
    name, email = os.environ.get("GIT_AUTHOR_NAME", ""), os.environ.get("GIT_AUTHOR_EMAIL", "")
    key = (repo.top, name, email)
    if key in _IDENTS:
        return _IDENTS[key]
    if _plain(name) and _plain(email):
        _IDENTS[key] = (name, email)
        return _IDENTS[key]
    proc = git.run(["var", "GIT_AUTHOR_IDENT"], repo.top, check=False)
    if proc.returncode == 0:
        text = proc.stdout.decode(errors="replace").strip()
        name, _, rest = text.partition(" <")
        email = rest.split(">", 1)[0]
        ident = (name, email)
    else:
        import getpass
        import socket

        user = getpass.getuser()
        ident = (user, f"{user}@{socket.gethostname()}")
    _IDENTS[key] = ident
    return ident


def _current_ref(cat: CatFile, ref: str) -> str | None:
    got = cat.get(ref)
    return got[0] if got else None


def _parse_tree(data: bytes, id_len: int = 20) -> list[tuple[bytes, bytes, bytes]]:
    """``(mode, name, binary id)`` entries of a tree object (ids of ``id_len`` bytes)."""
    entries = []
    pos = 0
    while pos < len(data):
        space = data.index(b" ", pos)
        nul = data.index(b"\0", space)
        entries.append((data[pos:space], data[space + 1 : nul], data[nul + 1 : nul + 1 + id_len]))
        pos = nul + 1 + id_len
    return entries


def _tree_bytes(entries: list[tuple[bytes, bytes, bytes]]) -> bytes:
    def order(e: tuple[bytes, bytes, bytes]) -> bytes:
        return e[1] + b"/" if e[0] == b"40000" else e[1]

    return b"".join(m + b" " + n + b"\0" + i for m, n, i in sorted(entries, key=order))


def _append_line(old: bytes, line: str) -> bytes:
    """``old`` with ``line`` appended (unchanged when it already holds that exact line)."""
    new = line.encode()
    if new in old.split(b"\n"):
        return old
    if old and not old.endswith(b"\n"):
        old += b"\n"
    return old + new + b"\n"


class CorruptState(GitopsError):
    """A gitops-ml ref is damaged; nothing was written (exit 3)."""

    def __init__(self, ref: str, why: str) -> None:
        super().__init__(
            f"{ref} is damaged ({why}); nothing was changed: inspect it with "
            f"'git log {ref}', restore it from 'git reflog {ref}' or a clone",
            3,
        )


def _tree_of_ref(cat: CatFile, ref: str, commit: str | None) -> str | None:
    """The tree of ``commit`` (the value of ``ref``), checked: None when ``commit`` is None;
    :class:`CorruptState` when it is not a commit or its tree is missing."""
    if commit is None:
        return None
    got = cat.get(commit)
    if got is None:
        raise CorruptState(ref, f"its commit {commit[:12]} is missing")
    if got[1] != "commit":
        raise CorruptState(ref, f"it points to a {got[1]}, not a commit")
    tree = got[2].split(b"\n", 1)[0].split()[1].decode()
    found = cat.get(tree)
    if found is None or found[1] != "tree":
        raise CorruptState(ref, f"its tree {tree[:12]} is missing")
    return tree


def check_state(repo: Repo) -> None:
    """Check the notes and environments refs before a command runs (exit 3 if damaged).

    A ref that does not exist yet is fine; one that points to something other than a
    commit, or to a commit whose tree is missing, raises :class:`CorruptState`.
    """
    cat = shared_cat(repo)
    for ref in (NOTES_REF, ENVIRONMENTS_REF):
        got = cat.get(ref)
        if got is not None:
            _tree_of_ref(cat, ref, got[0])
            continue
        # absent, or naming a missing object: a loose ref file says which (a ref that
        # was never written has none; ours are written loose by every update)
        if not (repo.common_dir / ref).is_file():
            continue
        proc = git.run(["rev-parse", "--verify", "-q", ref], repo.top, check=False)
        value = proc.stdout.decode().strip()
        if proc.returncode == 0 and value:
            _tree_of_ref(cat, ref, value)


def _notes_tree_append(
    repo: Repo, cat: CatFile, tree: str | None, target: str, line: str, *, depth: int = 0
) -> str:
    """A new notes tree: ``tree`` with ``line`` appended to the note of ``target``.

    Reads any fan-out (``ab/cdef...``) git may have made. A new note goes under its
    two-character fan-out directory (``ab/cdef...``, as git fans out large notes trees),
    so adding a fact rewrites that small subtree and the root, never every note.
    """
    got = cat.get(tree) if tree else None
    if tree and got is None:
        raise CorruptState(NOTES_REF, f"tree {tree[:12]} is missing")
    entries = _parse_tree(got[2], repo.id_len) if got else []
    want = target.encode()
    for i, (mode, name, oid) in enumerate(entries):
        if name == want and mode != b"40000":
            old = cat.get(oid.hex())
            if old is None:
                raise CorruptState(NOTES_REF, f"the note of {target[:12]} is missing")
            blob = write_blob(repo, _append_line(old[2], line))
            entries[i] = (b"100644", name, bytes.fromhex(blob))
            return write_object(repo, "tree", _tree_bytes(entries))
    for i, (mode, name, oid) in enumerate(entries):
        if mode == b"40000" and len(name) == 2 and want.startswith(name):
            sub = _notes_tree_append(repo, cat, oid.hex(), target[2:], line, depth=depth + 1)
            entries[i] = (mode, name, bytes.fromhex(sub))
            return write_object(repo, "tree", _tree_bytes(entries))
    new_blob = bytes.fromhex(write_blob(repo, _append_line(b"", line)))
    if depth == 0:
        sub_tree = write_object(repo, "tree", _tree_bytes([(b"100644", want[2:], new_blob)]))
        entries.append((b"40000", want[:2], bytes.fromhex(sub_tree)))
    else:
        entries.append((b"100644", want, new_blob))
    return write_object(repo, "tree", _tree_bytes(entries))


def _notes_commit(
    repo: Repo,
    cat: CatFile,
    *,
    notes_old: str | None,
    note_lines: Mapping[str, str],
    ident: tuple[str, str],
    when: float,
    message: str,
) -> str:
    tree = _tree_of_ref(cat, NOTES_REF, notes_old)
    for target, text in note_lines.items():
        for line in text.split("\n"):
            if line.strip():
                tree = _notes_tree_append(repo, cat, tree, target, line)
    assert tree is not None
    parents = [notes_old] if notes_old else []
    return write_object(repo, "commit", _commit_bytes(tree, parents, ident, when, message))


def _environments_commit(
    repo: Repo,
    cat: CatFile,
    old: str | None,
    files: Sequence[tuple[str, bytes]],
    *,
    ident: tuple[str, str],
    when: float,
) -> str | None:
    """A commit adding the environment files that ``old``'s tree lacks (None: none).

    The tree is flat: one ``<fingerprint>.json`` blob per environment.
    """
    tree = _tree_of_ref(cat, ENVIRONMENTS_REF, old)
    got = cat.get(tree) if tree else None
    entries = _parse_tree(got[2], repo.id_len) if got else []
    names = {name for _, name, _ in entries}
    added = []
    for fingerprint, data in files:
        name = f"{fingerprint}.json".encode()
        if name in names:
            continue
        entries.append((b"100644", name, bytes.fromhex(write_blob(repo, data))))
        names.add(name)
        added.append(fingerprint)
    if not added:
        return None
    new_tree = write_object(repo, "tree", _tree_bytes(entries))
    message = "gitops-ml: environment " + ", ".join(f[:12] for f in added) + "\n"
    parents = [old] if old else []
    return write_object(repo, "commit", _commit_bytes(new_tree, parents, ident, when, message))


_GC_SEEN = "gc-auto-seen"  # in state_dir: the loose count ``git gc --auto`` last looked at


def _loose_estimate(repo: Repo) -> int | None:
    """Loose objects in one fan-out folder, as git itself estimates (None: unreadable)."""
    try:
        return len(os.listdir(repo.common_dir / "objects" / "17"))
    except OSError:
        return None


def _maybe_gc(repo: Repo) -> None:
    """Pack loose objects and refs as runs accumulate (``git gc --auto`` decides, detached).

    Checked like git itself estimates: the number of loose objects in one fan-out folder.
    When gc has already looked at that same count and left the objects loose (``gc.auto``
    0 or above the default, or a detached gc still packing), it is not asked again until
    the count moves: one git process less per run in such a repository.
    """
    loose = _loose_estimate(repo)
    if loose is None or loose * 256 <= 6700:
        return
    seen = repo.state_dir / _GC_SEEN
    try:
        if seen.read_text() == str(loose):
            return
    except (OSError, UnicodeDecodeError):
        pass
    git.run(["gc", "--auto", "--quiet"], repo.top, check=False)
    after = _loose_estimate(repo)
    with contextlib.suppress(OSError):
        if after is not None and after * 256 > 6700:
            seen.parent.mkdir(parents=True, exist_ok=True)
            seen.write_text(str(after))
        else:
            seen.unlink(missing_ok=True)


def write_run(
    repo: Repo,
    run_id: str,
    *,
    tree: str,
    parent: str | None,
    message: str,
    ident: tuple[str, str],
    when: float,
    environment: tuple[str, bytes] | None = None,
    note_lines: Mapping[str, str] | None = None,
    policy: retry.Policy = retry.NOTES_CAS,
) -> str:
    """Create ``refs/runs/<run_id>`` (and store its environment), atomically.

    The objects are written first, in-process (loose, unreachable until the refs move);
    then one ``git update-ref --stdin`` transaction creates the run ref and, only when
    ``environment`` (``(fingerprint, content)``, see :func:`record.environment_file`) is
    not stored yet, compare-and-swaps ``refs/gitops-ml/environments`` with it added; it is
    retried when another writer moved that ref first. No notes line is written for a run
    (storage contract v2); ``note_lines`` (a commit id, or ``"@run"`` for the new run
    commit, to a JSON line) adds facts in the same transaction. Returns the run commit id.
    """
    ref = RUNS_PREFIX + run_id
    run_commit = write_object(
        repo, "commit", _commit_bytes(tree, [parent] if parent else [], ident, when, message)
    )
    lines = {run_commit if t == "@run" else t: line for t, line in (note_lines or {}).items()}
    _transaction(
        repo,
        lines,
        f"gitops-ml: run {run_id}\n",
        ident,
        create=(ref, run_commit),
        environments=[environment] if environment else [],
        policy=policy,
    )
    _maybe_gc(repo)
    return run_commit


def append_notes(
    repo: Repo, note_lines: Mapping[str, str], message: str, policy: retry.Policy = retry.NOTES_CAS
) -> str:
    """Append JSON lines to the notes of existing commits (compare-and-swap, retried).

    A value may hold several lines (separated by newlines); a line the note already holds
    is not added twice.
    """
    return _transaction(repo, note_lines, message, identity(repo), policy=policy)


def store_environments(
    repo: Repo, files: Sequence[tuple[str, bytes]], policy: retry.Policy = retry.NOTES_CAS
) -> bool:
    """Add environment files (``(fingerprint, content)``) that are not stored yet to
    ``refs/gitops-ml/environments`` (compare-and-swap, retried); True if any was added."""
    for fingerprint, data in files:
        _check_environment(fingerprint, data)
    before = resolve_ref(repo, ENVIRONMENTS_REF)
    _transaction(repo, {}, "", identity(repo), environments=files, policy=policy)
    return resolve_ref(repo, ENVIRONMENTS_REF) != before


def _transaction(
    repo: Repo,
    lines: Mapping[str, str],
    message: str,
    ident: tuple[str, str],
    *,
    create: tuple[str, str] | None = None,
    environments: Sequence[tuple[str, bytes]] = (),
    policy: retry.Policy = retry.NOTES_CAS,
) -> str:
    """One ``update-ref`` transaction: create the ref ``create`` = (ref, commit) if given,
    append ``lines`` to the notes and add ``environments``, each ref moved by
    compare-and-swap; retried while other writers win. Returns the new notes commit
    ("" when there were no lines)."""
    cat = shared_cat(repo)
    zero = repo.zero
    for attempt in retry.attempts(policy):
        # A retry re-reads the refs with a new process: never trust a cached value twice.
        def now(ref: str, first: bool = attempt == 0) -> str | None:
            return _current_ref(cat, ref) if first else resolve_ref(repo, ref)

        tx = "start\n"
        if create:
            tx += f"create {create[0]} {create[1]}\n"
        notes_new = ""
        if lines:
            notes_old = now(NOTES_REF)
            notes_new = _notes_commit(
                repo,
                cat,
                notes_old=notes_old,
                note_lines=lines,
                ident=ident,
                when=time.time(),
                message=message,
            )
            tx += f"update {NOTES_REF} {notes_new} {notes_old or zero}\n"
        if environments:
            env_old = now(ENVIRONMENTS_REF)
            env_new = _environments_commit(
                repo, cat, env_old, environments, ident=ident, when=time.time()
            )
            if env_new:
                tx += f"update {ENVIRONMENTS_REF} {env_new} {env_old or zero}\n"
        if tx == "start\n":
            return notes_new
        tx += "prepare\ncommit\n"
        done = git.run(["update-ref", "--stdin"], repo.top, input=tx.encode(), check=False)
        if done.returncode == 0:
            return notes_new
        if create and resolve_ref(repo, create[0]) is not None:
            raise GitopsError(f"{create[0]} already exists", 2)
    raise GitopsError("could not update the gitops-ml refs: too many concurrent writers", 3)


# ---------------------------------------------------------------- environments


def _check_environment(fingerprint: str, data: bytes) -> None:
    """Refuse an environment file whose name is not the hash of its content."""
    from gitops_ml.core.hashing import hash_bytes

    if not _FINGERPRINT.fullmatch(fingerprint) or hash_bytes(data) != fingerprint:
        raise GitopsError(
            f"environment {fingerprint[:16]!r} in {ENVIRONMENTS_REF} does not match its "
            "content (its name must be the BLAKE3 hash of its bytes): forged or damaged, refused",
            3,
        )


def read_environments(repo: Repo, fingerprints: Sequence[str]) -> dict[str, dict[str, Any]]:
    """The stored environments named, each checked against its name (one batch read).

    A missing one is left out; one whose content does not hash to its name raises.
    """
    import json

    wanted = [f for f in dict.fromkeys(fingerprints) if _FINGERPRINT.fullmatch(f)]
    blobs = read_objects(repo, [f"{ENVIRONMENTS_REF}:{f}.json" for f in wanted])
    out: dict[str, dict[str, Any]] = {}
    for fingerprint, data in zip(wanted, blobs, strict=True):
        if data is None:
            continue
        _check_environment(fingerprint, data)
        try:
            value = json.loads(data)
        except ValueError:
            value = None
        if not isinstance(value, dict):
            raise GitopsError(f"environment {fingerprint[:16]} is not a JSON object", 3)
        out[fingerprint] = value
    return out


class EnvironmentMissing(GitopsError):
    """A record names an environment this clone does not hold (exit 3)."""

    def __init__(self, fingerprint: str) -> None:
        super().__init__(
            f"environment {fingerprint[:12]} is not in {ENVIRONMENTS_REF} "
            "(run 'gitops-ml sync' to fetch it)",
            3,
        )


def read_environment(repo: Repo, fingerprint: str) -> dict[str, Any]:
    """One stored environment (Python, implementation, platform, distributions), checked
    against its name; a missing (:class:`EnvironmentMissing`) or forged one is a one-line
    error (exit 3)."""
    if not _FINGERPRINT.fullmatch(fingerprint):
        raise GitopsError(f"{fingerprint[:70]!r} is not an environment fingerprint", 3)
    found = read_environments(repo, [fingerprint])
    if fingerprint not in found:
        raise EnvironmentMissing(fingerprint)
    return found[fingerprint]


def list_environments(repo: Repo, commit: str | None = None) -> dict[str, str]:
    """``{fingerprint: blob id}`` of the environments in ``commit`` (default: the ref);
    entries whose name is not ``<64 hex>.json`` are left out."""
    spec = commit or ENVIRONMENTS_REF
    proc = git.run(["ls-tree", "-z", spec], repo.top, check=False)
    if proc.returncode != 0:
        return {}
    out: dict[str, str] = {}
    for item in proc.stdout.decode(errors="replace").split("\0"):
        meta, _, name = item.partition("\t")
        parts = meta.split()
        if len(parts) == 3 and parts[1] == "blob" and name.endswith(".json"):
            out[name[: -len(".json")]] = parts[2]
    return out


# ---------------------------------------------------------------- reading runs


RUN_ID = re.compile(r"[0-9A-HJKMNP-TV-Z]{26}")
_WARNED: set[str] = set()


def is_run_id(name: str) -> bool:
    """Whether ``name`` is a well-formed run id (a ULID: 26 of Crockford's base32)."""
    return RUN_ID.fullmatch(name) is not None


def _warn_bad_ref(ref: str) -> None:
    if ref not in _WARNED:
        _WARNED.add(ref)
        import sys

        shown = ref.encode("unicode_escape", "backslashreplace").decode("ascii")
        print(f"gitops-ml: warning: ignoring {shown!r}: not a run id", file=sys.stderr)


def list_run_refs(repo: Repo) -> dict[str, str]:
    """The runs kept as ``refs/runs/<id>`` (not those compacted into the archive)."""
    return _list_runs(repo)[0]


def list_runs(repo: Repo) -> dict[str, str]:
    """All run ids and their commit ids: ``refs/runs/*`` (one ``for-each-ref``) and the
    runs compacted into ``refs/gitops-ml/archive`` (see :mod:`gitops_ml.core.archive`).

    A ref under ``refs/runs/`` whose name is not a run id (a hostile remote's
    ``refs/runs/$(touch pwned)``) is ignored with a warning.
    """
    runs, archived = _list_runs(repo)
    if archived is None:
        return runs
    from gitops_ml.core import archive

    return {**archive.entries(repo, archived), **runs}


def _list_runs(repo: Repo) -> tuple[dict[str, str], str | None]:
    text = git.out(
        ["for-each-ref", "--format=%(objectname) %(refname)", RUNS_PREFIX, ARCHIVE_REF],
        repo.top,
    )
    runs: dict[str, str] = {}
    archived = None
    for line in text.splitlines():
        sha, _, ref = line.partition(" ")
        if ref == ARCHIVE_REF:
            archived = sha
            continue
        name = ref[len(RUNS_PREFIX) :]
        if RUN_ID.fullmatch(name):
            runs[name] = sha
        else:
            _warn_bad_ref(ref)
    return runs, archived


def run_commit(repo: Repo, run_id: str) -> str | None:
    """The commit of one run, by its full id (kept as a ref or archived)."""
    return list_runs(repo).get(run_id)


def archive_transaction(repo: Repo, tip: str, old: str | None, deletes: Mapping[str, str]) -> bool:
    """Move ``refs/gitops-ml/archive`` from ``old`` to ``tip`` and delete the run refs
    ``deletes`` (``{run id: the commit it must still name}``) in one transaction; False
    when another writer moved any of them first."""
    tx = "start\n"
    if tip != old:
        tx += f"update {ARCHIVE_REF} {tip} {old or repo.zero}\n"
    tx += "".join(f"delete {RUNS_PREFIX}{i} {c}\n" for i, c in sorted(deletes.items()))
    tx += "prepare\ncommit\n"
    done = git.run(["update-ref", "--stdin"], repo.top, input=tx.encode(), check=False)
    return done.returncode == 0


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
        rows.append(
            (path, -1 if added == "-" else int(added), -1 if deleted == "-" else int(deleted))
        )
    return rows


def show_file(repo: Repo, commit: str, path: str) -> bytes | None:
    return read_objects(repo, [f"{commit}:{path}"])[0]


# ---------------------------------------------------------------- worktrees


@contextlib.contextmanager
def state_lock(repo: Repo, name: str, *, wait: bool = True) -> Iterator[bool]:
    """An ``fcntl.flock`` on ``<state dir>/<name>`` between our processes (the kernel drops
    it if one dies): waits for it, or with ``wait=False`` yields False at once when
    another process holds it. Where there is no flock (Windows) or the file cannot be
    opened, it yields True: best effort, callers stay correct without it."""
    try:
        import fcntl
    except ImportError:
        yield True
        return
    try:
        repo.state_dir.mkdir(parents=True, exist_ok=True)
        fh = open(repo.state_dir / name, "a")  # noqa: SIM115 (held across the yield)
    except OSError:
        yield True
        return
    with fh:
        try:
            fcntl.flock(fh, fcntl.LOCK_EX | (0 if wait else fcntl.LOCK_NB))
        except BlockingIOError:
            yield False
            return
        except OSError:  # no locks on this file system: best effort
            yield True
            return
        yield True  # closing the file drops the lock


# Serializes ``git worktree`` add/remove between our processes: a concurrent ``worktree
# add`` reads the half-made admin dir of another and fails.
_WORKTREES_LOCK = "worktrees.lock"


# gitops-ml's own git operations never run the user's hooks (a pre-commit framework's
# post-checkout hook fails in a checkout of a snapshot made before its config existed).
NO_HOOKS = ("-c", "core.hooksPath=/dev/null")


def add_worktree(repo: Repo, commit: str, where: Path) -> None:
    """Check ``commit`` out into a new detached worktree at ``where``."""
    with state_lock(repo, _WORKTREES_LOCK):
        git.run(
            [*NO_HOOKS, "worktree", "add", "--detach", "--force", "-q", str(where), commit],
            repo.top,
        )


def remove_worktree(repo: Repo, where: Path) -> None:
    """Remove a worktree made by :func:`add_worktree` (and prune stale ones)."""
    with state_lock(repo, _WORKTREES_LOCK):
        git.run([*NO_HOOKS, "worktree", "remove", "--force", str(where)], repo.top, check=False)
        if where.exists():
            shutil.rmtree(where, ignore_errors=True)
        git.run(["worktree", "prune"], repo.top, check=False)


def make_commit(repo: Repo, tree: str, parent: str | None, message: str) -> str:
    """A commit object that no ref points to (for a worktree of a snapshot)."""
    args = ["commit-tree", tree, "-m", message]
    if parent:
        args += ["-p", parent]
    return git.out(args, repo.top)


# ---------------------------------------------------------------- sync helpers (remote.py)


def cas_ref(repo: Repo, ref: str, new: str, old: str | None) -> bool:
    """Move ``ref`` from ``old`` (None: must not exist) to ``new``; False if it moved first."""
    tx = f"start\nupdate {ref} {new} {old or repo.zero}\nprepare\ncommit\n"
    return (
        git.run(["update-ref", "--stdin"], repo.top, input=tx.encode(), check=False).returncode == 0
    )


def merge_notes(repo: Repo, theirs: str, policy: retry.Policy = retry.NOTES_MERGE) -> str:
    """Merge the notes commit ``theirs`` into ``refs/notes/gitops-ml``: the union of lines.

    A fast-forward when one side contains the other; otherwise ``git notes merge -s
    cat_sort_uniq`` into a private temporary notes ref (no line lost, never a conflict).
    The result is compare-and-swapped into place and the whole step retried when a local
    writer (a run finishing meanwhile) moved the notes first. Returns what happened:
    ``"unchanged"``, ``"created"``, ``"fast-forwarded"`` or ``"merged"``.
    """
    name, email = identity(repo)
    env = {
        "GIT_AUTHOR_NAME": name,
        "GIT_AUTHOR_EMAIL": email,
        "GIT_COMMITTER_NAME": name,
        "GIT_COMMITTER_EMAIL": email,
    }
    for _ in retry.attempts(policy):
        ours = resolve_ref(repo, NOTES_REF)
        if ours is None:
            if cas_ref(repo, NOTES_REF, theirs, None):
                return "created"
            continue
        base = git.run(["merge-base", ours, theirs], repo.top, check=False).stdout.decode().strip()
        if theirs in (base, ours):
            return "unchanged"
        if base == ours:
            if cas_ref(repo, NOTES_REF, theirs, ours):
                return "fast-forwarded"
            continue
        tmp = f"refs/notes/gitops-ml-merge-{os.getpid()}-{time.monotonic_ns()}"
        try:
            git.run(["update-ref", tmp, ours, ""], repo.top)
            git.run(
                ["notes", f"--ref={tmp}", "merge", "-q", "-s", "cat_sort_uniq", theirs],
                repo.top,
                env=env,
            )
            merged = git.out(["rev-parse", "--verify", tmp], repo.top)
        finally:
            git.run(["update-ref", "-d", tmp], repo.top, check=False)
        if cas_ref(repo, NOTES_REF, merged, ours):
            return "merged"
    raise GitopsError(f"could not update {NOTES_REF}: too many concurrent writers", 3)


# ---------------------------------------------------------------- what a remote sent


def _object_type(repo: Repo, oid: str) -> str | None:
    proc = git.run(["cat-file", "-t", oid], repo.top, check=False)
    return proc.stdout.decode().strip() if proc.returncode == 0 else None


def _is_ancestor(repo: Repo, a: str, b: str) -> bool:
    return git.run(["merge-base", "--is-ancestor", a, b], repo.top, check=False).returncode == 0


class Refused(GitopsError):
    """Something fetched from a remote is malformed; it was not merged (exit 3)."""

    def __init__(self, what: str, why: str) -> None:
        super().__init__(f"refused the remote's {what}: {why}; local state left as it was", 3)


def check_commit(repo: Repo, what: str, oid: str) -> None:
    """Refuse ``oid`` unless it is a commit whose tree is present."""
    kind = _object_type(repo, oid)
    if kind != "commit":
        raise Refused(what, f"{oid[:12]} is a {kind or 'missing object'}, not a commit")
    if _object_type(repo, f"{oid}^{{tree}}") != "tree":
        raise Refused(what, f"the tree of {oid[:12]} is missing")


def _ls_tree(repo: Repo, spec: str, *, recursive: bool = False) -> list[tuple[str, str, str, str]]:
    """``(mode, type, id, path)`` of a tree's entries."""
    args = ["ls-tree", "-z"] + (["-r"] if recursive else []) + [spec]
    out = []
    for item in git.run(args, repo.top).stdout.decode(errors="surrogateescape").split("\0"):
        if not item:
            continue
        meta, _, path = item.partition("\t")
        mode, kind, oid = meta.split()
        out.append((mode, kind, oid, path))
    return out


def check_environments(repo: Repo, theirs: str) -> dict[str, str]:
    """Validate a fetched environments commit: a flat tree of ``<fingerprint>.json``
    blobs, each hashing to its name (only those this clone lacks are read). Returns
    ``{fingerprint: blob}``; anything else raises :class:`Refused`."""
    what = ENVIRONMENTS_REF
    check_commit(repo, what, theirs)
    ours = list_environments(repo)
    entries: dict[str, str] = {}
    for mode, kind, oid, path in _ls_tree(repo, theirs):
        name = path[: -len(".json")] if path.endswith(".json") else ""
        if kind != "blob" or mode != "100644" or not _FINGERPRINT.fullmatch(name):
            shown = path.encode("unicode_escape").decode("ascii")[:80]
            raise Refused(what, f"entry {shown!r} is not <fingerprint>.json")
        entries[name] = oid
    new = [f for f, oid in entries.items() if ours.get(f) != oid]
    for fingerprint, data in zip(new, read_objects(repo, [entries[f] for f in new]), strict=True):
        if data is None:
            raise Refused(what, f"environment {fingerprint[:12]} is missing")
        try:
            _check_environment(fingerprint, data)
        except GitopsError:
            raise Refused(
                what, f"environment {fingerprint[:12]} does not match its content (forged)"
            ) from None
    return entries


def merge_environments(repo: Repo, theirs: str, policy: retry.Policy = retry.NOTES_MERGE) -> str:
    """Merge a fetched (and :func:`check_environments`-validated) environments commit into
    ``refs/gitops-ml/environments``: the union of both trees (entries are content
    addressed, so a name means one content). A fast-forward when one side contains the
    other, else a merge commit with both parents, compare-and-swapped and retried.
    Returns ``"unchanged"``, ``"created"``, ``"fast-forwarded"`` or ``"merged"``."""
    theirs_entries = check_environments(repo, theirs)
    for _ in retry.attempts(policy):
        ours = resolve_ref(repo, ENVIRONMENTS_REF)
        if ours is None:
            if cas_ref(repo, ENVIRONMENTS_REF, theirs, None):
                return "created"
            continue
        if ours == theirs or _is_ancestor(repo, theirs, ours):
            return "unchanged"
        if _is_ancestor(repo, ours, theirs):
            if cas_ref(repo, ENVIRONMENTS_REF, theirs, ours):
                return "fast-forwarded"
            continue
        union = {**theirs_entries, **list_environments(repo, ours)}
        tree = write_object(
            repo,
            "tree",
            _tree_bytes(
                [(b"100644", f"{f}.json".encode(), bytes.fromhex(b)) for f, b in union.items()]
            ),
        )
        commit = write_object(
            repo,
            "commit",
            _commit_bytes(
                tree,
                [ours, theirs],
                identity(repo),
                time.time(),
                "gitops-ml: merge environments\n",
            ),
        )
        if cas_ref(repo, ENVIRONMENTS_REF, commit, ours):
            return "merged"
    raise GitopsError(f"could not update {ENVIRONMENTS_REF}: too many concurrent writers", 3)


_MAX_NOTE = 1 << 20


def check_notes(repo: Repo, theirs: str) -> None:
    """Validate a fetched notes commit before it is merged: every note it adds or changes
    (against the local notes, so the cost is that of the difference) is a blob at a path
    spelling an object id, holding JSON-object lines, at most 1 MiB; else :class:`Refused`."""
    what = NOTES_REF
    check_commit(repo, what, theirs)
    ours = resolve_ref(repo, NOTES_REF)
    if ours is not None and _is_ancestor(repo, theirs, ours):
        return
    hex_len = 2 * repo.id_len
    blobs: list[tuple[str, str]] = []
    for mode, kind, oid, path in _changed_notes(repo, ours, theirs):
        name = path.replace("/", "")
        if kind != "blob" or mode != "100644" or len(name) != hex_len or not _is_hex(name):
            shown = path.encode("unicode_escape").decode("ascii")[:80]
            raise Refused(what, f"{shown!r} is not a note on an object")
        blobs.append((path, oid))
    for (path, _), data in zip(blobs, read_objects(repo, [o for _, o in blobs]), strict=True):
        if data is None or len(data) > _MAX_NOTE:
            raise Refused(what, f"the note {path} is missing or larger than 1 MiB")
        if not _json_lines(data):
            raise Refused(what, f"the note {path} holds a line that is not a JSON object")


def _changed_notes(repo: Repo, ours: str | None, theirs: str) -> list[tuple[str, str, str, str]]:
    """``(mode, type, id, path)`` of the notes ``theirs`` adds or changes against ``ours``."""
    if ours is None:
        return _ls_tree(repo, theirs, recursive=True)
    text = git.run(
        ["diff-tree", "-r", "-z", "--no-renames", "--diff-filter=AM", ours, theirs], repo.top
    ).stdout.decode(errors="surrogateescape")
    fields = text.split("\0")
    changed = []
    for i in range(0, len(fields) - 1, 2):
        meta = fields[i].lstrip(":").split()
        if len(meta) >= 4:
            changed.append((meta[1], "blob", meta[3], fields[i + 1]))
    return changed


def _json_lines(data: bytes) -> bool:
    """Whether every non-blank line of ``data`` is a JSON object."""
    import json

    for line in data.decode(errors="replace").splitlines():
        if not line.strip():
            continue
        try:
            if not isinstance(json.loads(line), dict):
                return False
        except ValueError:
            return False
    return True


def _is_hex(text: str) -> bool:
    return all(c in "0123456789abcdef" for c in text)


def _notes_tree_edit(
    repo: Repo, cat: CatFile, tree: str | None, edits: Mapping[str, bytes | None], *, depth: int = 0
) -> str | None:
    """``tree`` with each note of ``edits`` (remaining hex of a target -> new content, or
    None to remove it) replaced; reads any fan-out; None when the tree ends up empty."""
    got = cat.get(tree) if tree else None
    if tree and got is None:
        raise CorruptState(NOTES_REF, f"tree {tree[:12]} is missing")
    entries = (
        {name: (mode, oid) for mode, name, oid in _parse_tree(got[2], repo.id_len)} if got else {}
    )
    nested: dict[bytes, dict[str, bytes | None]] = {}
    for target, data in edits.items():
        name = target.encode()
        if name in entries and entries[name][0] != b"40000":
            if data is None:
                del entries[name]
            else:
                entries[name] = (b"100644", bytes.fromhex(write_blob(repo, data)))
            continue
        sub = name[:2]
        if sub in entries and entries[sub][0] == b"40000":
            nested.setdefault(sub, {})[target[2:]] = data
        elif data is not None:
            entries[name] = (b"100644", bytes.fromhex(write_blob(repo, data)))
    for sub, sub_edits in nested.items():
        new = _notes_tree_edit(repo, cat, entries[sub][1].hex(), sub_edits, depth=depth + 1)
        if new is None:
            del entries[sub]
        else:
            entries[sub] = (b"40000", bytes.fromhex(new))
    if not entries:
        return None
    return write_object(repo, "tree", _tree_bytes([(m, n, o) for n, (m, o) in entries.items()]))


def rewrite_notes(
    repo: Repo,
    edits: Mapping[str, bytes | None],
    message: str,
    policy: retry.Policy = retry.NOTES_MERGE,
) -> str:
    """Replace (or, with None, remove) the notes of some commits in one compare-and-swap
    of the notes ref, retried while other writers win; returns the new notes commit.

    For ``gitops-ml migrate`` only: facts are otherwise append-only.
    """
    cat = shared_cat(repo)
    ident = identity(repo)
    for _ in retry.attempts(policy):
        old = resolve_ref(repo, NOTES_REF)
        if old is None:
            return ""
        tree = _notes_tree_edit(repo, cat, _tree_of_ref(cat, NOTES_REF, old), edits)
        if tree is None:
            tree = write_object(repo, "tree", b"")
        new = write_object(repo, "commit", _commit_bytes(tree, [old], ident, time.time(), message))
        if cas_ref(repo, NOTES_REF, new, old):
            return new
    raise GitopsError(f"could not update {NOTES_REF}: too many concurrent writers", 3)
