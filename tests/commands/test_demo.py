"""``gitops-ml demo DIR``: runs, table, diff, lineage, in seconds."""

from __future__ import annotations

from pathlib import Path

from tests.conftest import cli, cli_json, git, run_ids


def _section(out: str, title: str) -> list[str]:
    """The lines printed under ``== title ==`` up to the next section."""
    lines = out.splitlines()
    start = lines.index(f"== {title} ==") + 1
    end = next((i for i in range(start, len(lines)) if lines[i].startswith("== ")), len(lines))
    return lines[start:end]


def test_demo(tmp_path: Path) -> None:
    proc = cli(tmp_path, "demo", "demo-dir", timeout=60)
    assert proc.returncode == 0, proc.stderr
    out = proc.stdout
    assert "gitops-ml runs ls --sort -metrics.accuracy" in out
    table = _section(out, "gitops-ml runs ls --sort -metrics.accuracy")
    header, *rows = [line.split() for line in table if line.strip()]
    assert header[:4] == ["run", "name", "started", "status"]
    assert {"lr", "epochs", "accuracy"} <= set(header)
    # "started" is a date and a time: two words in a row, one column
    cells = [dict(zip(header, [*r[:2], f"{r[2]} {r[3]}", *r[4:]], strict=True)) for r in rows]
    assert len(cells) == 4
    assert sorted((float(c["lr"]), int(c["epochs"])) for c in cells) == [
        (0.01, 2),
        (0.01, 20),
        (0.3, 2),
        (0.3, 20),
    ]
    accuracies = [float(c["accuracy"]) for c in cells]
    assert accuracies == sorted(accuracies, reverse=True)
    assert all(c["status"] == "ok" for c in cells)
    assert "metrics" in out and "delta" in out  # the diff
    assert "models/model.json  blake3" in out and "snapshot" in out  # the lineage
    assert "Traceback" not in proc.stderr
    repo = tmp_path / "demo-dir"
    ids = run_ids(repo)
    assert len(ids) == 4
    assert sorted(c["run"] for c in cells) == sorted(i[: len(cells[0]["run"])] for i in ids)
    runs = cli_json(repo, "runs", "ls")
    assert all(r["exit_code"] == 0 and "accuracy" in r["metrics"] for r in runs)
    assert git(repo, "status", "--porcelain") == ""
    assert "Notes" not in git(repo, "log")  # plain git log stays quiet (contract v2)


def test_demo_into_a_non_empty_directory_is_exit_2(tmp_path: Path) -> None:
    (tmp_path / "full").mkdir()
    (tmp_path / "full" / "keep.txt").write_text("mine")
    proc = cli(tmp_path, "demo", "full")
    assert proc.returncode == 2
    assert proc.stderr.count("\n") == 1 and "not empty" in proc.stderr
    assert sorted(p.name for p in (tmp_path / "full").iterdir()) == ["keep.txt"]


def test_demo_without_a_directory_makes_a_new_one_each_time(tmp_path: Path) -> None:
    env = {"TMPDIR": str(tmp_path)}
    first = cli(tmp_path, "demo", env=env, timeout=60)
    second = cli(tmp_path, "demo", env=env, timeout=60)
    assert first.returncode == 0, first.stderr
    assert second.returncode == 0, second.stderr
    made = sorted(p.name for p in tmp_path.glob("gitops-ml-demo-*"))
    assert len(made) == 2
