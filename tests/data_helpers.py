"""Helpers for the data tests: a project with declared data, fresh clones, an S3 server."""

from __future__ import annotations

import contextlib
import json
import os
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from tests.conftest import cli, git, make_project, run_ids, write

TRAIN = """\
import json, sys
open("model.bin", "wb").write(open("params.json", "rb").read() * 3)
json.dump({"accuracy": 0.9}, open("metrics.json", "w"))
"""

# A file and a directory of several files (nested, spaces, unicode).
DATA = {
    "one file.csv": "a,b\n1,2\n",
    "images/cat.txt": "meow\n" * 50,
    "images/dog.txt": "woof\n",
    "images/nested/deep/ünïcødé name.txt": "deep\n",
    "images/nested/zero.bin": "",
}


def data_config(store: str | None) -> str:
    text = (
        "params: params.json\nmetrics: metrics.json\ndata:\n  - one file.csv\n  - images\n"
        "outputs: model.bin\n"
    )
    return text + (f"store: {store}\n" if store else "")


def make_data_project(root: Path, store: str | None) -> Path:
    """A committed project declaring a file and a directory of data, not yet run."""
    repo = make_project(root, config=data_config(store), commit=False)
    write(repo / "train.py", TRAIN)
    write(repo / ".gitignore", "metrics.json\nmodel.bin\n")
    for rel, text in DATA.items():
        write(repo / rel, text)
    git(repo, "add", "train.py", "params.json", ".gitignore", "gitops-ml.yaml")
    git(repo, "commit", "-q", "-m", "initial")
    return repo


def record_run(repo: Path, env: dict[str, str] | None = None) -> str:
    before = set(run_ids(repo))
    proc = cli(repo, "run", "--", sys.executable, "train.py", env=env)
    assert proc.returncode == 0, proc.stderr
    (new,) = set(run_ids(repo)) - before
    return new


def fresh_clone(origin: Path, where: Path) -> Path:
    """A clone that fetched the run refs and nothing else (no data, no local cache)."""
    git(origin.parent, "clone", "-q", str(origin), str(where))
    git(where, "fetch", "-q", "origin", "+refs/runs/*:refs/runs/*")
    return where


def tree_bytes(root: Path, paths: list[str]) -> dict[str, bytes]:
    """Every file under the given paths, by relative path."""
    out = {}
    for rel in paths:
        top = root / rel
        if top.is_file():
            out[rel] = top.read_bytes()
            continue
        for f in sorted(top.rglob("*")):
            if f.is_file():
                out[f.relative_to(root).as_posix()] = f.read_bytes()
    return out


def blake3_hex(data: bytes) -> str:
    from blake3 import blake3

    return str(blake3(data).hexdigest())


def object_path(store: Path, digest: str) -> Path:
    return store / digest[:2] / digest[2:]


def corrupt(path: Path) -> None:
    os.chmod(path, 0o644)
    path.write_bytes(b"not the recorded bytes\n")


def write_hostile_run(repo: Path, data: list[dict[str, Any]]) -> str:
    """Record a run whose data entries are given verbatim (as a hostile peer could)."""
    from gitops_ml.core import gitstore, ids, record

    r = gitstore.open_repo(repo)
    head = git(repo, "rev-parse", "HEAD").strip()
    tree = git(repo, "rev-parse", "HEAD^{tree}").strip()
    run_id = ids.new_id()
    rec = {"schema": 1, "id": run_id, "command": ["true"], "exit_code": 0, "data": data}
    rec.update({"outputs": [], "artifacts": [], "params": {}, "metrics": {}})
    gitstore.write_run(
        r,
        run_id,
        tree=tree,
        parent=head,
        message=record.message(rec),
        ident=("Mallory", "m@example.com"),
        when=time.time(),
        note_lines={},
    )
    return run_id


@contextlib.contextmanager
def s3_server() -> Iterator[dict[str, str]]:
    """moto's S3 in server mode on a free loopback port; yields the client environment."""
    from moto.server import ThreadedMotoServer

    from tests.git_daemon import free_port

    port = free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    env = {
        "AWS_ENDPOINT_URL": f"http://127.0.0.1:{port}",
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_DEFAULT_REGION": "us-east-1",
    }
    try:
        yield env
    finally:
        server.stop()


def make_bucket(env: dict[str, str], name: str) -> Any:
    import boto3

    client = boto3.client(
        "s3",
        endpoint_url=env["AWS_ENDPOINT_URL"],
        aws_access_key_id=env["AWS_ACCESS_KEY_ID"],
        aws_secret_access_key=env["AWS_SECRET_ACCESS_KEY"],
        region_name=env["AWS_DEFAULT_REGION"],
    )
    client.create_bucket(Bucket=name)
    return client


def status_rows(repo: Path) -> dict[str, dict[str, Any]]:
    proc = cli(repo, "data", "status", "--json")
    assert proc.returncode == 0, proc.stderr
    return {row["path"]: row for row in json.loads(proc.stdout)}


def age(root: Path, seconds: float = 60) -> None:
    """Move every mtime under ``root`` into the past, as for data on disk a while."""
    past = time.time() - seconds
    for p in [root, *root.rglob("*")]:
        if p.is_file():
            os.utime(p, (past, past))
