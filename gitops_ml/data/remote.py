"""The data remote: a content-addressed store on any fsspec URL (a directory, S3, GCS, ...).

Layout, the same as the local cache: ``<store>/<h[:2]>/<h[2:]>``, where ``h`` is the BLAKE3
of the object's bytes. Uploads never leave half an object under its final name.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Collection, Iterator
from pathlib import Path

from gitops_ml.core.digests import is_blake3
from gitops_ml.core.errors import EnvironmentProblem, GitopsError, UsageError

TYPE_CHECKING = False  # typing costs ~7 ms to import: only for the type checker
if TYPE_CHECKING:
    from typing import Any

if TYPE_CHECKING:
    from gitops_ml.core.config import Config
    from gitops_ml.ui.progress import Transfer

# Object stores where one put is atomic: no temp name + rename needed.
_ATOMIC_PUT = {"s3", "s3a", "gs", "gcs", "az", "abfs", "abfss", "adl", "memory", "oss"}
# Above this many objects, one listing of the store is cheaper than one request each.
_LIST_THRESHOLD = 64
WORKERS = 8


class RemoteStore:
    """A content-addressed store on any fsspec filesystem (a directory, S3, GCS, ...)."""

    def __init__(self, url: str, fs: Any, root: str, *, atomic_put: bool) -> None:
        self.url = url  # for messages
        self.fs = fs
        self.root = root.rstrip("/")
        self.atomic_put = atomic_put

    def key(self, digest: str) -> str:
        return f"{self.root}/{digest[:2]}/{digest[2:]}"

    def where(self, digest: str) -> str:
        """The object's URL, for messages."""
        return f"{self.url.rstrip('/')}/{digest[:2]}/{digest[2:]}"

    @contextlib.contextmanager
    def _errors(self) -> Iterator[None]:
        try:
            yield
        except GitopsError:
            raise
        except (FileNotFoundError, KeyboardInterrupt):
            raise
        except Exception as exc:
            raise self.unreachable(exc) from None

    def unreachable(self, exc: BaseException) -> EnvironmentProblem:
        why = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        return EnvironmentProblem(f"data store {self.url} is unreachable or refused: {why}")

    def existing(self, digests: Collection[str]) -> set[str]:
        """Which of ``digests`` the store has (one request each, or one listing for many)."""
        wanted = set(digests)
        if not wanted:
            return set()
        if len(wanted) > _LIST_THRESHOLD and self.atomic_put:
            return wanted & self.listing()

        def probe(digest: str) -> str | None:
            with self._errors():
                try:
                    return digest if self.fs.exists(self.key(digest)) else None
                except FileNotFoundError:
                    return None

        if not self.atomic_put:  # a filesystem: a stat is cheap
            return {d for d in wanted if probe(d)}
        from concurrent.futures import ThreadPoolExecutor  # ~10 ms: only when used

        with ThreadPoolExecutor(WORKERS) as pool:
            return {d for d in pool.map(probe, sorted(wanted)) if d}

    def listing(self) -> set[str]:
        """Every object name in the store (one paginated listing on object stores)."""
        with self._errors():
            with contextlib.suppress(AttributeError):
                self.fs.invalidate_cache(self.root)
            try:
                paths = self.fs.find(self.root)
            except FileNotFoundError:
                return set()
        found = set()
        prefix = self.root + "/"
        for path in paths:
            rel = str(path)[len(prefix) :] if str(path).startswith(prefix) else str(path)
            parts = rel.split("/")
            if len(parts) == 2 and len(parts[0]) == 2 and is_blake3(parts[0] + parts[1]):
                found.add(parts[0] + parts[1])
        return found

    def download(self, digest: str, dest: Path, bar: Transfer | None = None) -> bool:
        """Copy the object to ``dest`` (unverified); False when the store lacks it."""
        callback = _callback(bar)
        with self._errors():
            try:
                self.fs.get_file(self.key(digest), str(dest), callback=callback)
            except FileNotFoundError:
                return False
        if bar is not None:
            bar.advance(max(0, dest.stat().st_size - callback.reported))
        return True

    def upload(self, src: Path, digest: str, bar: Transfer | None = None) -> None:
        """Copy a local object in under ``digest``: one put on object stores, else a temp
        name renamed into place, so a reader never sees half an object."""
        key = self.key(digest)
        callback = _callback(bar)
        with self._errors():
            if self.atomic_put:
                self.fs.put_file(str(src), key, callback=callback)
            else:
                parent = key.rsplit("/", 1)[0]
                self.fs.makedirs(parent, exist_ok=True)
                tmp = f"{parent}/.{digest[2:]}.{os.urandom(16).hex()}.tmp"
                try:
                    self.fs.put_file(str(src), tmp, callback=callback)
                    self.fs.mv(tmp, key)
                except BaseException:
                    with contextlib.suppress(Exception):
                        self.fs.rm_file(tmp)
                    raise
        if bar is not None:
            bar.advance(max(0, src.stat().st_size - callback.reported))


def _callback(bar: Transfer | None) -> Any:
    """An fsspec callback that forwards byte counts to the progress bar."""
    from fsspec.callbacks import Callback

    class _Forward(Callback):  # type: ignore[misc]
        reported = 0

        def relative_update(self, inc: int = 1) -> None:
            if bar is not None and inc > 0:
                bar.advance(inc)
                self.reported += inc

        def absolute_update(self, value: int) -> None:
            self.relative_update(value - self.reported)

    return _Forward()


def open_remote(url: str, top: Path) -> RemoteStore:
    """A :class:`RemoteStore` for ``url``: a path (relative to ``top``) or an fsspec URL.

    S3-compatible endpoints: ``AWS_ENDPOINT_URL`` (read by botocore) or fsspec's own
    ``FSSPEC_S3_ENDPOINT_URL`` / ``FSSPEC_S3`` (JSON of S3FileSystem options, e.g.
    ``{"client_kwargs": {"endpoint_url": "..."}}``); credentials as for any AWS client.
    """
    if "://" not in url and not url.startswith("file:"):
        path = Path(url).expanduser()
        if not path.is_absolute():
            path = Path(os.path.normpath(top / path))
        from fsspec.implementations.local import LocalFileSystem

        return RemoteStore(str(path), LocalFileSystem(), path.as_posix(), atomic_put=False)
    import fsspec

    try:
        fs, root = fsspec.core.url_to_fs(url, skip_instance_cache=True)
    except ImportError as exc:
        extra = " (pip install 'gitops-ml[s3]')" if url.startswith(("s3://", "s3a://")) else ""
        raise EnvironmentProblem(f"data store {url}: {exc}{extra}") from None
    except (ValueError, TypeError) as exc:
        raise UsageError(f"gitops-ml.yaml: store {url!r}: {exc}") from None
    protocol = fs.protocol if isinstance(fs.protocol, str) else fs.protocol[0]
    return RemoteStore(url, fs, str(root), atomic_put=protocol in _ATOMIC_PUT)


def remote_store(cfg: Config, top: Path | None = None) -> RemoteStore | None:
    """The remote configured under ``store:`` in gitops-ml.yaml, or None.

    A relative path is relative to the repository root (the directory of gitops-ml.yaml,
    or ``top`` when given).
    """
    if not cfg.store:
        return None
    if top is None:
        top = cfg.path.parent if cfg.path is not None else Path.cwd()
    return open_remote(cfg.store, top)
