"""Every user error: one line on stderr, the documented exit code, never a traceback."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import cli, run_ids


def one_line(proc: subprocess.CompletedProcess[str], code: int, *words: str) -> None:
    assert proc.returncode == code, (proc.returncode, proc.stderr)
    assert proc.stderr.count("\n") == 1, proc.stderr
    assert "Traceback" not in proc.stderr
    for w in words:
        assert w in proc.stderr, (w, proc.stderr)


@pytest.mark.parametrize(
    "args",
    [
        ["run", "--", "true"],
        ["runs", "ls"],
        ["runs", "show", "01"],
        ["runs", "diff", "a", "b"],
        ["init"],
    ],
)
def test_not_a_git_repository(tmp_path: Path, args: list[str]) -> None:
    outside = tmp_path / "plain"
    outside.mkdir()
    one_line(
        cli(outside, *args, env={"GIT_CEILING_DIRECTORIES": str(tmp_path)}),
        2,
        "not a git repository",
    )


def test_command_that_cannot_start(project: Path) -> None:
    one_line(
        cli(project, "run", "--", "no-such-program-xyz"), 2, "cannot start", "no-such-program-xyz"
    )
    (project / "notexec.sh").write_text("echo hi\n")
    one_line(cli(project, "run", "--", "./notexec.sh"), 2, "cannot start")
    assert run_ids(project) == []
    # the params override is undone even though the command never started
    before = (project / "params.json").read_bytes()
    one_line(cli(project, "run", "-p", "lr=9", "--", "no-such-program-xyz"), 2)
    assert (project / "params.json").read_bytes() == before


def test_run_without_a_command(project: Path) -> None:
    one_line(cli(project, "run"), 2, "no command")
    one_line(cli(project, "run", "--"), 2, "no command")


def test_minus_c_directory(project: Path, tmp_path: Path) -> None:
    proc = cli(tmp_path, "-C", str(project), "run", "--", "true")
    assert proc.returncode == 0, proc.stderr
    assert len(run_ids(project)) == 1
    one_line(cli(tmp_path, "-C", str(tmp_path / "nope"), "runs", "ls"), 2, "-C")


def test_help_and_version_are_fast_and_light() -> None:
    code = (
        "import sys; from gitops_ml.main import build_parser; build_parser('run'); build_parser('hook');"
        "heavy = [m for m in ('rich', 'yaml', 'fsspec', 'github3', 'prometheus_client', 'dulwich', 'git', 'blake3') if m in sys.modules];"
        "print(heavy)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
    for args in (["--help"], ["run", "--help"], ["runs", "ls", "--help"]):
        proc = subprocess.run(["gitops-ml", *args], capture_output=True, text=True)
        assert proc.returncode == 0 and "usage" in proc.stdout
    assert subprocess.run(
        ["gitops-ml", "--version"], capture_output=True, text=True
    ).stdout.startswith("gitops-ml ")


def test_sort_with_a_leading_dash_is_a_value(project: Path) -> None:
    proc = cli(project, "runs", "ls", "--sort", "-metrics.accuracy")
    assert proc.returncode == 0, proc.stderr
    # after `run ... --`, a --sort belongs to the command
    proc = cli(
        project,
        "run",
        "--",
        sys.executable,
        "-c",
        "import sys; print(sys.argv[1:])",
        "--sort",
        "-x",
    )
    assert proc.returncode == 0 and proc.stdout.strip() == "['--sort', '-x']"


def test_every_command_row_has_a_module_with_configure_and_main() -> None:
    """The COMMANDS table is the CLI: each row's module parses and runs (issue 8)."""
    import importlib
    import inspect

    from gitops_ml.main import COMMANDS, GROUPS, build_parser

    seen = set()
    for words, module_name, help_text in COMMANDS:
        assert words not in seen and help_text
        seen.add(words)
        parser, got = build_parser(words)
        assert got == module_name and parser.prog == f"gitops-ml {words}"
        module = importlib.import_module(f"gitops_ml.commands.{module_name}")
        assert module.__doc__, module_name
        assert list(inspect.signature(module.main).parameters) == ["args"], module_name
    for words in seen:
        if " " in words:  # a group word, or a command that has subcommands (deploy history)
            assert words.split()[0] in {*GROUPS, *seen}, words
    with pytest.raises(KeyError):
        build_parser("no such command")


@pytest.mark.parametrize(
    ("argv", "code", "stream", "first"),
    [
        ([], 2, "err", "usage: gitops-ml"),
        (["--bogus"], 2, "err", "gitops-ml: error: unknown option --bogus"),
        (["frobnicate"], 2, "err", "gitops-ml: error: unknown command 'frobnicate'"),
        (["runs"], 2, "err", "usage: gitops-ml"),
        (["runs", "--help"], 0, "out", "usage: gitops-ml"),
        (["-h"], 0, "out", "usage: gitops-ml"),
        (["-V"], 0, "out", "gitops-ml "),
    ],
)
def test_global_usage(
    argv: list[str], code: int, stream: str, first: str, capsys: pytest.CaptureFixture[str]
) -> None:
    from gitops_ml.main import main

    assert main(argv) == code
    out, err = capsys.readouterr()
    text = out if stream == "out" else err
    assert text.startswith(first), text
    assert (err if stream == "out" else out) == ""
    if argv[:1] == ["runs"]:
        assert "gitops-ml runs: list, show and compare runs" in text
        assert "  runs diff" in text and "  data status" not in text


def test_minus_c_forms_and_a_missing_directory(project: Path, tmp_path: Path) -> None:
    glued = cli(tmp_path, f"-C{project}", "runs", "ls", "--json")
    assert glued.returncode == 0, glued.stderr
    proc = cli(tmp_path, "-C", str(tmp_path / "nowhere"), "runs", "ls")
    assert proc.returncode == 2
    assert (
        proc.stderr == f"gitops-ml: error: -C {tmp_path / 'nowhere'}: No such file or directory\n"
    )


def test_python_dash_m() -> None:
    import subprocess
    import sys

    proc = subprocess.run(
        [sys.executable, "-m", "gitops_ml", "--version"], capture_output=True, text=True
    )
    assert (proc.returncode, proc.stdout.split()[0]) == (0, "gitops-ml")


def _cli_with(prelude: str, tmp_path: Path, *argv: str) -> subprocess.CompletedProcess[str]:
    """``cli()`` (the console script's entry) in a fresh interpreter, after ``prelude``."""
    code = (
        f"import sys\n{prelude}\nsys.argv = ['gitops-ml', *{list(argv)!r}]\n"
        "from gitops_ml.main import cli\nraise SystemExit(cli())\n"
    )
    return subprocess.run(
        [sys.executable, "-c", code], cwd=tmp_path, capture_output=True, text=True
    )


def test_quick_exit_runs_atexit_handlers_and_keeps_output_and_code(
    project: Path, tmp_path: Path
) -> None:
    """The console script skips the interpreter's teardown, not what a normal exit does:
    atexit handlers run once, buffered output arrives, the exit code is the command's."""
    mark = tmp_path / "atexit.txt"
    prelude = (
        "import atexit, pathlib\n"
        f"atexit.register(lambda: pathlib.Path({str(mark)!r}).open('a').write('ran\\n'))"
    )
    proc = _cli_with(prelude, tmp_path, "-C", str(project), "run", "--", "sh", "-c", "exit 7")
    assert proc.returncode == 7, proc.stderr
    assert mark.read_text() == "ran\n"
    listing = _cli_with("", tmp_path, "-C", str(project), "runs", "ls", "--json")
    assert listing.returncode == 0 and listing.stdout.rstrip().endswith("]")
    assert len(json.loads(listing.stdout)) == 1


def test_normal_exit_while_a_thread_runs(tmp_path: Path) -> None:
    """A non-daemon thread still running at the end: the normal exit, which waits for it."""
    mark = tmp_path / "thread.txt"
    prelude = (
        "import pathlib, threading, time\n"
        "threading.Thread(target=lambda: (time.sleep(0.3), "
        f"pathlib.Path({str(mark)!r}).write_text('done'))).start()"
    )
    proc = _cli_with(prelude, tmp_path, "--version")
    assert proc.returncode == 0 and proc.stdout.startswith("gitops-ml ")
    assert mark.read_text() == "done"


@pytest.mark.parametrize("args", [["--version"], ["--help"], ["runs", "--help"], ["nope"]])
def test_a_closed_pipe_is_not_a_traceback(args: list[str]) -> None:
    # the reader is gone before gitops-ml writes (as with | head -0): quiet, usual exit code
    read, write = os.pipe()
    os.close(read)
    try:
        proc = subprocess.run(
            ["gitops-ml", *args], stdout=write, stderr=subprocess.PIPE, text=True, check=False
        )
    finally:
        os.close(write)
    assert "Traceback" not in proc.stderr, proc.stderr
    assert proc.returncode == (2 if args == ["nope"] else 0)
