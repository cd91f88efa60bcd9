"""``gitops-ml reproduce``: old code, old data and old environment rebuilt in a fresh clone.

Real repositories, a bare remote, a local-path data store, real virtual environments
built by uv (or venv + pip) from the registry, the real CLI in subprocesses. The example
depends on ``six`` pinned to the version this interpreter has, and writes that version into
its metrics: an environment with another version does not reproduce.
"""

from __future__ import annotations

import importlib.metadata
import json
import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.conftest import cli, git, run_ids, write

try:
    SIX = importlib.metadata.version("six")
except importlib.metadata.PackageNotFoundError:  # pragma: no cover
    SIX = ""
OTHER_SIX = "1.16.0" if SIX != "1.16.0" else "1.15.0"

TRAIN_V1 = """\
import json, six
p = json.load(open("params.json"))
rows = [int(x) for x in open("data/train.csv").read().split()]
acc = round(sum(rows) / (10.0 * len(rows)) + p["lr"], 6)
json.dump({"accuracy": acc, "six": six.__version__}, open("metrics.json", "w"))
open("model.bin", "w").write("model %s %s" % (acc, six.__version__))
print("trained v1", acc)
"""

TRAIN_V2 = TRAIN_V1.replace('+ p["lr"]', '* 2 + p["lr"]').replace("v1", "v2")

CONFIG = """\
params: params.json
metrics: metrics.json
data: data/train.csv
outputs: model.bin
store: ../store
primary: accuracy
"""

NOISY = """\
import json, random
json.dump({"loss": 0.5 + random.random() * 0.01, "epochs": 3}, open("metrics.json", "w"))
"""


@pytest.fixture(autouse=True)
def _shared_uv_cache(
    tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    # One package cache for the session (each test's HOME is fresh): the registry is asked once.
    monkeypatch.setenv("UV_CACHE_DIR", str(tmp_path_factory.getbasetemp() / "uv-cache"))


def _project(root: Path, train: str, requirements: str, config: str = CONFIG) -> Path:
    root.mkdir(parents=True)
    git(root, "init", "-q")
    write(root / "train.py", train)
    write(root / "params.json", json.dumps({"lr": 0.1, "seed": 7}))
    write(root / "requirements.txt", requirements)
    write(root / "gitops-ml.yaml", config)
    write(root / ".gitignore", "metrics.json\nmodel.bin\ndata/\n")
    git(root, "add", "-A")
    git(root, "commit", "-q", "-m", "initial")
    return root


def _run(repo: Path, *command: str) -> str:
    before = set(run_ids(repo))
    proc = cli(repo, "run", *command)
    assert proc.returncode == 0, proc.stderr
    (new,) = set(run_ids(repo)) - before
    return new


def _record(repo: Path, run_id: str) -> dict:
    return json.loads(cli(repo, "runs", "show", run_id, "--json").stdout)


def _facts(repo: Path, run_id: str) -> list[dict]:
    commit = git(repo, "rev-parse", f"refs/runs/{run_id}").strip()
    text = git(repo, "notes", "--ref=gitops-ml", "show", commit, check=False)
    return [json.loads(line) for line in text.splitlines() if line.strip()]


def _worktrees(repo: Path) -> list[str]:
    return [
        ln
        for ln in git(repo, "worktree", "list", "--porcelain").splitlines()
        if ln.startswith("worktree ")
    ]


@pytest.mark.skipif(not SIX, reason="needs six installed")
def test_a_months_old_run_reproduces_in_a_fresh_clone(tmp_path: Path) -> None:
    repo = _project(tmp_path / "p", TRAIN_V1, f"six=={SIX}\n")
    write(repo / "data" / "train.csv", "1\n2\n3\n4\n")
    old = _run(repo, "python", "train.py")
    old_rec = _record(repo, old)
    assert old_rec["metrics"] == {"accuracy": 0.35, "six": SIX}

    # months of work: new code, new data, another dependency version, several commits
    write(repo / "train.py", TRAIN_V2)
    git(repo, "commit", "-qam", "better model")
    write(repo / "data" / "train.csv", "9\n9\n9\n")
    write(repo / "params.json", json.dumps({"lr": 0.3, "seed": 7}))
    git(repo, "commit", "-qam", "tune lr")
    write(repo / "requirements.txt", f"six=={OTHER_SIX}\n")
    git(repo, "commit", "-qam", "bump six")
    assert _run(repo, "python", "train.py") != old

    push = cli(repo, "data", "push")
    assert push.returncode == 0, push.stderr
    remote = tmp_path / "remote.git"
    git(tmp_path, "init", "-q", "--bare", str(remote))
    git(
        repo,
        "push",
        "-q",
        str(remote),
        "HEAD:refs/heads/main",
        "refs/runs/*:refs/runs/*",
        "refs/notes/*:refs/notes/*",
        "refs/gitops-ml/*:refs/gitops-ml/*",
    )

    # a machine that never saw the run: the branch, then only the runs and environments refs
    clone = tmp_path / "clone"
    git(tmp_path, "clone", "-q", str(remote), str(clone))
    git(
        clone,
        "fetch",
        "-q",
        "origin",
        "+refs/runs/*:refs/runs/*",
        "refs/gitops-ml/environments:refs/gitops-ml/environments",
    )
    assert not (clone / "data").exists()
    assert not (clone / ".git" / "gitops-ml" / "cache").exists()
    head_before = git(clone, "rev-parse", "HEAD")

    proc = cli(clone, "reproduce", old[:12], "--verify", timeout=600)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "Traceback" not in proc.stderr
    assert f"run {old} reproduced by run" in proc.stdout
    assert "accuracy" in proc.stdout and SIX in proc.stdout
    assert "built environment" in proc.stderr and "timings:" in proc.stderr

    new = [r for r in run_ids(clone) if r not in run_ids(repo)]
    assert len(new) == 1
    new_rec = _record(clone, new[0])
    assert new_rec["reproduces"] == old
    assert new_rec["metrics"] == old_rec["metrics"]
    assert new_rec["git"]["tree"] == old_rec["git"]["tree"]
    assert new_rec["data"] == old_rec["data"]
    assert [o["hash"] for o in new_rec["outputs"]] == [o["hash"] for o in old_rec["outputs"]]
    # the same lockfile rebuilt (v2's fingerprint names the exact installed set, which a
    # rebuilt environment of the lockfile need not match: see envbuild)
    assert new_rec["environment"]["lockfile"] == old_rec["environment"]["lockfile"]
    assert new_rec["environment"]["distributions"]["six"] == SIX

    (fact,) = [f for f in _facts(clone, old) if f.get("type") == "verify"]
    assert fact["ok"] is True and fact["by"] == new[0]
    assert {m["name"]: m["got"] for m in fact["metrics"]} == {"accuracy": 0.35, "six": SIX}

    # the user's checkout is untouched; the worktree is gone
    assert git(clone, "rev-parse", "HEAD") == head_before
    assert git(clone, "status", "--porcelain") == ""
    assert (clone / "train.py").read_text() == TRAIN_V2
    assert not (clone / "data").exists() and not (clone / "metrics.json").exists()
    assert len(_worktrees(clone)) == 1

    # the verdict travels: the note is on the original run's commit in the clone's notes ref
    shown = cli(clone, "runs", "show", old)
    assert "\n  verify " in shown.stdout and "ok=true" in shown.stdout  # notes shown as text


@pytest.mark.skipif(not SIX, reason="needs six installed")
def test_the_wrong_dependency_version_does_not_reproduce(tmp_path: Path) -> None:
    # recorded with this interpreter's six, while the lockfile pins another one
    repo = _project(tmp_path / "p", TRAIN_V1, f"six=={OTHER_SIX}\n")
    write(repo / "data" / "train.csv", "5\n")
    run = _run(repo, "python", "train.py")
    proc = cli(repo, "reproduce", run, "--verify", "--md", timeout=600)
    assert proc.returncode == 1, proc.stderr
    assert f"| six | {SIX} | {OTHER_SIX} | - | exact | NO |" in proc.stdout
    assert "| accuracy | 0.6 | 0.6 | +0 | rel:1e-09,abs:1e-12 | yes |" in proc.stdout


def test_a_noisy_script_fails_verify_with_a_table_and_passes_with_a_tolerance(
    tmp_path: Path,
) -> None:
    repo = _project(
        tmp_path / "p", NOISY, "# no dependencies\n", "params: params.json\nmetrics: metrics.json\n"
    )
    run = _run(repo, "python", "train.py")

    failed = cli(repo, "reproduce", run, "--verify", timeout=600)
    assert failed.returncode == 1, failed.stderr
    lines = failed.stdout.splitlines()
    assert f"run {run} did NOT reproduce" in lines[0]
    assert lines[1].split() == ["metric", "expected", "got", "delta", "tolerance", "ok"]
    loss = next(ln.split() for ln in lines if ln.startswith("loss"))
    assert loss[4:] == ["rel:1e-09,abs:1e-12", "NO"] and float(loss[3]) != 0
    epochs = next(ln.split() for ln in lines if ln.startswith("epochs"))
    assert epochs == ["epochs", "3", "3", "+0", "exact", "yes"]
    assert "Traceback" not in failed.stderr

    passed = cli(repo, "reproduce", run, "--verify", "--tolerance", "loss=abs:0.011", "--json")
    assert passed.returncode == 0, passed.stderr
    verdict = json.loads(passed.stdout)  # the script's own output went to stderr
    assert verdict["ok"] is True and verdict["run"] == run
    (loss_check,) = [m for m in verdict["metrics"] if m["name"] == "loss"]
    assert loss_check["tolerance"] == "abs:0.011" and abs(loss_check["delta"]) <= 0.011

    # the same tolerance from gitops-ml.yaml (today's config, not the snapshot's)
    write(
        repo / "gitops-ml.yaml",
        "params: params.json\nmetrics: metrics.json\ntolerances:\n  loss: rel:0.03\n",
    )
    by_config = cli(repo, "reproduce", run, "--verify")
    assert by_config.returncode == 0, by_config.stdout + by_config.stderr
    assert "rel:0.03" in by_config.stdout

    facts = [f for f in _facts(repo, run) if f.get("type") == "verify"]
    assert [f["ok"] for f in sorted(facts, key=lambda f: f["at"])] == [False, True, True]

    bad = cli(repo, "reproduce", run, "--verify", "--tolerance", "loss=0.1")
    assert bad.returncode == 2 and "abs:X or rel:Y" in bad.stderr
    assert len(bad.stderr.strip().splitlines()) == 1


def test_a_second_reproduce_reuses_the_environment(tmp_path: Path) -> None:
    repo = _project(
        tmp_path / "p", NOISY, "# none\n", "params: params.json\nmetrics: metrics.json\n"
    )
    run = _run(repo, "python", "train.py")
    first = cli(repo, "reproduce", run, "--json", timeout=600)
    assert first.returncode == 0, first.stderr
    v1 = json.loads(first.stdout)
    env_dir = Path(v1["environment"]["path"])
    assert env_dir.parent == Path(os.environ["XDG_CACHE_HOME"]) / "gitops-ml" / "envs"
    assert v1["environment"]["reused"] is False
    stat = env_dir.stat()

    second = cli(repo, "reproduce", run, "--json")
    assert second.returncode == 0, second.stderr
    v2 = json.loads(second.stdout)
    assert v2["environment"]["reused"] is True and v2["environment"]["path"] == str(env_dir)
    assert "reusing environment" in second.stderr
    after = env_dir.stat()
    assert (after.st_ino, after.st_mtime_ns) == (stat.st_ino, stat.st_mtime_ns)
    assert v2["timings"]["environment"] < v1["timings"]["environment"]
    print(
        f"\nreproduce timings: first {v1['timings']['total']:.2f} s "
        f"(environment {v1['timings']['environment']:.2f} s, built with "
        f"{v1['environment']['method']}), second {v2['timings']['total']:.2f} s "
        f"(environment {v2['timings']['environment']:.3f} s, reused)"
    )


def test_keep_leaves_the_worktree(tmp_path: Path) -> None:
    repo = _project(tmp_path / "p", NOISY, "\n", "params: params.json\nmetrics: metrics.json\n")
    run = _run(repo, "python", "train.py")
    proc = cli(repo, "reproduce", run, "--keep", "--json", timeout=600)
    assert proc.returncode == 0, proc.stderr
    kept = Path(json.loads(proc.stdout)["worktree"])
    assert kept.parent == repo / ".git" / "gitops-ml" / "worktrees"
    assert (kept / "train.py").read_text() == NOISY and (kept / "metrics.json").exists()
    # a later run does not sweep it away as a crashed run's leftover
    _run(repo, "python", "train.py")
    assert kept.exists() and len(_worktrees(repo)) == 2


def test_an_unknown_run_is_a_usage_error(project: Path) -> None:
    proc = cli(project, "reproduce", "01ZZZZZZZZ", "--verify")
    assert proc.returncode == 2
    assert proc.stderr.strip().count("\n") == 0 and "no run matches" in proc.stderr


def test_data_missing_from_cache_and_store_names_the_hash(tmp_path: Path) -> None:
    repo = _project(
        tmp_path / "p",
        TRAIN_V1.replace("import json, six", "import json\nclass six: __version__ = '0'"),
        "\n",
    )
    write(repo / "data" / "train.csv", "1\n")
    run = _run(repo, "python", "train.py")
    digest = _record(repo, run)["data"][0]["hash"]
    import shutil

    shutil.rmtree(repo / ".git" / "gitops-ml" / "cache")
    (tmp_path / "store").mkdir()
    proc = cli(repo, "reproduce", run, "--verify")
    assert proc.returncode == 3, proc.stderr
    err = proc.stderr.strip().splitlines()[-1]
    assert digest in err and "data/train.csv" in err and str(tmp_path / "store") in err
    assert "Traceback" not in proc.stderr
    assert len(_worktrees(repo)) == 1  # cleaned up
    assert len(run_ids(repo)) == 1  # nothing recorded


def test_a_run_without_a_command_cannot_be_reproduced(project: Path) -> None:
    code = (
        "import gitops_ml\n"
        "with gitops_ml.start_run(params={'lr': 0.1}) as run:\n"
        "    run.log_metrics({'accuracy': 0.9})\n"
    )
    made = subprocess.run([sys.executable, "-c", code], cwd=project, capture_output=True, text=True)
    assert made.returncode == 0, made.stderr
    (run,) = run_ids(project)
    proc = cli(project, "reproduce", run, "--verify")
    assert proc.returncode == 2
    assert "has no command to re-run" in proc.stderr and "notebook" in proc.stderr
    assert proc.stderr.strip().count("\n") == 0


def test_packages_that_cannot_be_fetched_are_one_line_and_exit_3(tmp_path: Path) -> None:
    # an index nobody listens on: the install fails the way an offline machine does
    reqs = "--index-url http://127.0.0.1:9/simple\nsix==1.12.0\n"
    repo = _project(tmp_path / "p", NOISY, reqs, "params: params.json\nmetrics: metrics.json\n")
    run = _run(repo, "python", "train.py")
    env = {"PIP_CONFIG_FILE": os.devnull, "PIP_FIND_LINKS": "", "UV_OFFLINE": "0"}
    proc = cli(repo, "reproduce", run, "--verify", env=env, timeout=600)
    assert proc.returncode == 3, proc.stdout + proc.stderr
    err = proc.stderr.strip().splitlines()[-1]
    assert err.startswith("gitops-ml: error: network error while installing the recorded packages")
    assert "Traceback" not in proc.stderr
    assert not list((Path(os.environ["XDG_CACHE_HOME"]) / "gitops-ml" / "envs").glob(".build-*"))


PRE_COMMIT_CONFIG = """\
repos:
  - repo: local
    hooks:
      - id: nothing
        name: nothing
        entry: "true"
        language: system
        stages: [pre-commit, post-checkout]
        always_run: true
"""


def test_the_pre_commit_frameworks_post_checkout_hook_does_not_break_reproduce(
    tmp_path: Path,
) -> None:
    # a run made before .pre-commit-config.yaml was committed, then the framework installed
    repo = _project(
        tmp_path / "p", NOISY, "# none\n", "params: params.json\nmetrics: metrics.json\n"
    )
    run = _run(repo, "python", "train.py")
    write(repo / ".pre-commit-config.yaml", PRE_COMMIT_CONFIG)
    git(repo, "add", ".pre-commit-config.yaml")
    git(repo, "commit", "-q", "-m", "pre-commit")
    pre_commit = Path(sys.executable).parent / "pre-commit"
    installed = subprocess.run(
        [str(pre_commit), "install", "-t", "pre-commit", "-t", "post-checkout"],
        cwd=repo,
        capture_output=True,
        text=True,
    )
    assert installed.returncode == 0, installed.stdout + installed.stderr
    # the hook is live: a plain worktree of the old commit fails the way reproduce did
    snapshot = _record(repo, run)["git"]["snapshot"]
    plain = subprocess.run(
        ["git", "worktree", "add", "--detach", str(tmp_path / "wt"), snapshot],
        cwd=repo,
        capture_output=True,
        text=True,
    )
    assert plain.returncode != 0 and ".pre-commit-config.yaml" in plain.stdout + plain.stderr
    git(repo, "worktree", "remove", "--force", str(tmp_path / "wt"), check=False)

    proc = cli(repo, "reproduce", run, "--tolerance", "loss=abs:0.011", "--verify", timeout=600)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert f"run {run} reproduced by run" in proc.stdout


def test_a_git_failure_shows_gits_whole_message(tmp_path: Path) -> None:
    repo = _project(
        tmp_path / "p", NOISY, "# none\n", "params: params.json\nmetrics: metrics.json\n"
    )
    run = _run(repo, "python", "train.py")
    # the snapshot's tree object is corrupt: git worktree add fails with several lines
    snapshot = _record(repo, run)["git"]["snapshot"]
    tree = git(repo, "rev-parse", f"{snapshot}^{{tree}}").strip()
    obj = repo / ".git" / "objects" / tree[:2] / tree[2:]
    assert obj.exists()
    obj.chmod(0o644)
    obj.write_bytes(b"garbage")
    proc = cli(repo, "reproduce", run, timeout=600)
    assert proc.returncode == 3, proc.stdout + proc.stderr
    assert "Traceback" not in proc.stderr
    direct = subprocess.run(
        ["git", "worktree", "add", "-q", "--detach", str(tmp_path / "wt"), snapshot],
        cwd=repo,
        capture_output=True,
        text=True,
    )
    assert direct.returncode != 0
    lines = [ln.strip() for ln in direct.stderr.splitlines() if ln.strip()]
    assert len(lines) >= 2  # git said more than one line
    for line in lines:
        assert line in proc.stderr


# Summation order differs in the re-run (as with n_jobs=2): the last bit of `loss` drifts.
DRIFT = """\
import json, os
terms = [0.1, 0.2, 0.3]
rerun = "VIRTUAL_ENV" in os.environ and "gitops-ml" in os.environ["VIRTUAL_ENV"]
loss = sum(reversed(terms)) if rerun else sum(terms)
real = 0.5 + (1e-7 if rerun and os.environ.get("REAL_CHANGE") else 0.0)
json.dump({"loss": loss, "real": real, "epochs": 3}, open("metrics.json", "w"))
"""


def test_the_default_comparison_absorbs_float_noise_but_nothing_real(tmp_path: Path) -> None:
    repo = _project(
        tmp_path / "p", DRIFT, "# none\n", "params: params.json\nmetrics: metrics.json\n"
    )
    run = _run(repo, "python", "train.py")
    assert _record(repo, run)["metrics"]["loss"] == 0.1 + 0.2 + 0.3  # 0.6000000000000001

    proc = cli(repo, "reproduce", run, "--verify", "--json", timeout=600)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    checks = {m["name"]: m for m in json.loads(proc.stdout)["metrics"]}
    assert checks["loss"]["got"] == 0.6 and checks["loss"]["delta"] != 0  # drifted
    assert checks["loss"]["ok"] and checks["loss"]["tolerance"] == "rel:1e-09,abs:1e-12"
    assert checks["epochs"]["tolerance"] == "exact"  # whole numbers compare exactly

    # a real difference (1e-7 on 0.5) still fails
    real = cli(repo, "reproduce", run, "--verify", env={"REAL_CHANGE": "1"})
    assert real.returncode == 1, real.stdout + real.stderr
    row = next(ln.split() for ln in real.stdout.splitlines() if ln.startswith("real"))
    assert row[-2:] == ["rel:1e-09,abs:1e-12", "NO"]

    # exact comparison is still there when asked for
    exact = cli(repo, "reproduce", run, "--verify", "--tolerance", "loss=exact")
    assert exact.returncode == 1, exact.stdout + exact.stderr
    row = next(ln.split() for ln in exact.stdout.splitlines() if ln.startswith("loss"))
    assert row[-2:] == ["exact", "NO"]
    combined = cli(
        repo, "reproduce", run, "--verify", "--json", "--tolerance", "loss=rel:1e-6,abs:1e-9"
    )
    assert combined.returncode == 0, combined.stdout + combined.stderr
    (loss,) = [m for m in json.loads(combined.stdout)["metrics"] if m["name"] == "loss"]
    assert loss["tolerance"] == "rel:1e-06,abs:1e-09"


def _payload_wheel(where: Path, marker: Path, name: str = "payload", version: str = "1.0") -> Path:
    """A wheel whose ``.pth`` file appends to ``marker`` whenever its Python starts."""
    import base64
    import hashlib
    import zipfile

    info = f"{name}-{version}.dist-info"
    files = {
        f"{name}.pth": f"import os; open({str(marker)!r}, 'a').write('pwned\\n')\n",
        f"{info}/METADATA": f"Metadata-Version: 2.1\nName: {name}\nVersion: {version}\n",
        f"{info}/WHEEL": "Wheel-Version: 1.0\nGenerator: test\nRoot-Is-Purelib: true\n"
        "Tag: py3-none-any\n",
    }
    lines = []
    for path, text in files.items():
        digest = base64.urlsafe_b64encode(hashlib.sha256(text.encode()).digest()).rstrip(b"=")
        lines.append(f"{path},sha256={digest.decode()},{len(text.encode())}")
    files[f"{info}/RECORD"] = "\n".join([*lines, f"{info}/RECORD,,"]) + "\n"
    where.mkdir(parents=True, exist_ok=True)
    wheel = where / f"{name}-{version}-py3-none-any.whl"
    with zipfile.ZipFile(wheel, "w") as zf:
        for path, text in files.items():
            zf.writestr(path, text)
    return wheel


def _forge(repo: Path, run_id: str, edit: Callable[[dict], None]) -> None:
    """Rewrite a run's record in place (what a hostile remote can serve through sync)."""
    ref = f"refs/runs/{run_id}"
    commit = git(repo, "rev-parse", ref).strip()
    raw = git(repo, "cat-file", "commit", commit)
    headers, _, message = raw.partition("\n\n")
    title, _, text = message.partition("\n\n")
    rec = json.loads(text)
    edit(rec)
    tree = git(repo, "rev-parse", f"{commit}^{{tree}}").strip()
    parents = [ln.split()[1] for ln in headers.splitlines() if ln.startswith("parent ")]
    args = ["commit-tree", tree]
    for p in parents:
        args += ["-p", p]
    new_message = f"{title}\n\n{json.dumps(rec, sort_keys=True, separators=(',', ':'))}"
    forged = git(repo, *args, input=new_message).strip()
    git(repo, "update-ref", ref, forged)


def test_a_forged_run_claiming_anothers_environment_never_poisons_it(tmp_path: Path) -> None:
    marker = tmp_path / "pwned"
    wheels = tmp_path / "wheels"
    _payload_wheel(wheels, marker)
    config = "params: params.json\nmetrics: metrics.json\n"
    repo = _project(tmp_path / "p", NOISY, "# no dependencies\n", config)
    legit = _run(repo, "python", "train.py")
    legit_fp = _record(repo, legit)["environment"]["fingerprint"]

    # a teammate's (hostile) run: its lockfile installs the payload; its record claims the
    # legitimate run's environment fingerprint
    write(repo / "requirements.txt", f"--no-index\n--find-links {wheels}\npayload==1.0\n")
    git(repo, "commit", "-qam", "payload")
    forged = _run(repo, "python", "train.py")
    legit_lock = _record(repo, legit)["environment"]["lockfile"]
    assert _record(repo, forged)["environment"]["lockfile"] != legit_lock

    def claim(rec: dict) -> None:
        rec["environment"]["fingerprint"] = legit_fp

    _forge(repo, forged, claim)
    assert _record(repo, forged)["environment"]["fingerprint"] == legit_fp

    bad = cli(repo, "reproduce", forged, "--json", timeout=600)
    assert bad.returncode in (0, 1), bad.stdout + bad.stderr
    assert marker.exists()  # reproducing the forged run ran its payload, as it would
    bad_env = json.loads(bad.stdout)["environment"]["path"]
    marker.unlink()

    good = cli(repo, "reproduce", legit, "--verify", "--tolerance", "loss=abs:0.011", "--json")
    assert good.returncode == 0, good.stdout + good.stderr
    assert not marker.exists(), "the payload ran while reproducing the legitimate run"
    verdict = json.loads(good.stdout)
    assert verdict["environment"]["path"] != bad_env
    assert verdict["environment"]["reused"] is False
    probe = subprocess.run(
        [str(Path(verdict["environment"]["path"]) / "bin" / "python"), "-c", "pass"],
        capture_output=True,
    )
    assert probe.returncode == 0 and not marker.exists()


def test_a_cached_environment_changed_after_its_build_is_not_reused(tmp_path: Path) -> None:
    marker = tmp_path / "pwned"
    repo = _project(
        tmp_path / "p", NOISY, "# no dependencies\n", "params: params.json\nmetrics: metrics.json\n"
    )
    run = _run(repo, "python", "train.py")
    first = cli(repo, "reproduce", run, "--json", timeout=600)
    assert first.returncode == 0, first.stderr
    env_dir = Path(json.loads(first.stdout)["environment"]["path"])
    # something (a re-run command, another tool) drops a startup file into its site-packages
    (site,) = env_dir.glob("lib/python*/site-packages")
    (site / "zz_evil.pth").write_text(f"import os; open({str(marker)!r}, 'a').write('x')\n")

    second = cli(repo, "reproduce", run, "--json", timeout=600)
    assert second.returncode == 0, second.stdout + second.stderr
    assert not marker.exists()
    assert json.loads(second.stdout)["environment"]["reused"] is False
    assert "changed since it was built" in second.stderr
    third = cli(repo, "reproduce", run, "--json", timeout=600)
    assert json.loads(third.stdout)["environment"]["reused"] is True


def test_the_fast_path_is_the_default_uv_from_its_package(tmp_path: Path) -> None:
    repo = _project(
        tmp_path / "p", NOISY, "# none\n", "params: params.json\nmetrics: metrics.json\n"
    )
    run = _run(repo, "python", "train.py")
    # a PATH with another `uv` that does not work (a stale shim): never used
    shims = tmp_path / "shims"
    write(shims / "uv", f"#!/bin/sh\ntouch {tmp_path / 'shim-ran'}\nexit 1\n").chmod(0o755)
    path = f"{shims}{os.pathsep}{os.environ['PATH']}"
    proc = cli(repo, "reproduce", run, "--json", env={"PATH": path}, timeout=600)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert json.loads(proc.stdout)["environment"]["method"] == "uv"
    assert not (tmp_path / "shim-ran").exists()


@pytest.mark.skipif(not SIX, reason="needs six installed")
def test_an_unpinned_requirements_file_is_not_the_lockfile(tmp_path: Path) -> None:
    # the project's own venv holds an older six; requirements.txt only says six>=1.10
    old_six = "1.16.0" if SIX != "1.16.0" else "1.15.0"
    from gitops_ml.reproduce import tools

    uv = tools.find_uv()
    assert uv is not None
    venv = tmp_path / "projenv"
    subprocess.run([uv, "venv", "-q", "--python", sys.executable, str(venv)], check=True)
    subprocess.run(
        [uv, "pip", "install", "-q", "--python", str(venv / "bin" / "python"), f"six=={old_six}"],
        check=True,
    )
    repo = _project(tmp_path / "p", TRAIN_V1, "six>=1.10  # any recent six\n")
    write(repo / "data" / "train.csv", "5\n")
    path = f"{venv / 'bin'}{os.pathsep}{os.environ['PATH']}"
    proc = cli(repo, "run", "python", "train.py", env={"PATH": path})
    assert proc.returncode == 0, proc.stderr
    (run,) = run_ids(repo)
    rec = _record(repo, run)
    assert rec["metrics"]["six"] == old_six
    assert rec["environment"]["distributions"]["six"] == old_six

    repro = cli(repo, "reproduce", run, "--verify", "--json", timeout=600)
    assert repro.returncode == 0, repro.stdout + repro.stderr
    verdict = json.loads(repro.stdout)
    assert verdict["environment"]["source"] == "distributions"
    assert "requirements.txt does not pin every requirement (six>=1.10)" in repro.stderr
    assert {m["name"]: m["got"] for m in verdict["metrics"]}["six"] == old_six
