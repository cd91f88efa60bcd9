"""``gitops-ml lineage``: from a model file back to the run that produced it."""

from __future__ import annotations

import json
import shutil
import sys
from pathlib import Path

import blake3

from tests.conftest import cli, cli_json, run_ids, write
from tests.data_helpers import make_data_project, record_run
from tests.lineage_helpers import fit, fit_project


def test_lineage_of_a_model_and_of_data(tmp_path: Path) -> None:
    repo = fit_project(tmp_path / "p")
    fit(repo, "0.2", "a")
    model_a = (repo / "model.txt").read_bytes()
    fit(repo, "0.4", "b")
    first, second = run_ids(repo)

    proc = cli(repo, "lineage", "model.txt")
    assert proc.returncode == 0, proc.stderr
    assert f"run       {second} (b)" in proc.stdout and "data      data.csv" in proc.stdout
    got = cli_json(repo, "lineage", "model.txt")
    assert [p["run"] for p in got["produced_by"]] == [second]
    # the earlier model, by content
    (repo / "model.txt").write_bytes(model_a)
    got = cli_json(repo, "lineage", "model.txt")
    assert [(p["run"], p["params"]["lr"]) for p in got["produced_by"]] == [(first, 0.2)]
    used = cli_json(repo, "lineage", "--runs-using", "data.csv")
    assert sorted(r["run"] for r in used["runs"]) == [first, second]
    # a file no run produced: exit 1, one line
    write(repo / "other.txt", "nobody made me")
    proc = cli(repo, "lineage", "other.txt")
    assert proc.returncode == 1 and proc.stderr.count("\n") == 1
    proc = cli(repo, "lineage", "no/such/thing")
    assert proc.returncode == 2 and proc.stderr.count("\n") == 1
    # the JSON of the earlier model's lineage: its hash, its path, a full provenance
    assert got["path"] == "model.txt"
    assert got["hash"] == blake3.blake3(model_a).hexdigest()
    (prov,) = got["produced_by"]
    assert prov["command"] == [sys.executable, "fit.py"]
    assert prov["params"]["lr"] == 0.2 and prov["metrics"] == {"accuracy": 0.8}
    assert prov["status"] == "ok" and prov["name"] == "a"
    assert [d["path"] for d in prov["data"]] == ["data.csv"]
    assert len(prov["snapshot"]) == 40 and prov["deploys"] == prov["verifications"] == []
    # the environment is read from refs/gitops-ml/environments (the record names it)
    version = "{}.{}.{}".format(*sys.version_info[:3])
    assert prov["environment"]["python"] == version and prov["environment"]["platform"]
    assert f"env       Python {version} " in cli(repo, "lineage", "model.txt").stdout
    assert json.loads(json.dumps(got)) == got  # plain JSON values only


def test_runs_using_a_file_inside_a_directory_and_a_deployed_copy(tmp_path: Path) -> None:
    repo = make_data_project(tmp_path / "p", None)
    run = record_run(repo)
    used = cli_json(repo, "lineage", "--runs-using", "images/nested/zero.bin")
    assert [r["run"] for r in used["runs"]] == [run]
    proc = cli(repo, "lineage", "--runs-using", "images/dog.txt")
    assert proc.returncode == 0 and "1 run(s) used images/dog.txt" in proc.stdout
    write(repo / "images" / "dog.txt", "a different dog\n")
    assert cli_json(repo, "lineage", "--runs-using", "images/dog.txt")["runs"] == []
    # a deployed copy of the model, outside the repository: hashed, and traced to its run
    deployed = tmp_path / "srv" / "model.bin"
    deployed.parent.mkdir()
    shutil.copyfile(repo / "model.bin", deployed)
    got = cli_json(repo, "lineage", str(deployed))
    assert [p["run"] for p in got["produced_by"]] == [run] and got["path"] is None
    deployed.write_bytes(b"tampered")
    proc = cli(repo, "lineage", str(deployed))
    assert proc.returncode == 1 and "no recorded run produced this content" in proc.stderr
