"""Figure 6: the pre-commit hooks on a 10,000-file repository.

Also the plain git hook (`gitops-ml hook pre-commit`, what `init --hooks` installs), which
runs every check over the staged files; these timings were asserted by the test suite
until issue 9 item 24 (a test must not fail on a loaded machine).
"""

from __future__ import annotations

import harness
from context import Ctx, log
from harness import Cmd
from peers import tool_env
from report import Row, ms, verdict

HOOKS = ("gitops-ml-check-config", "gitops-ml-no-data-in-git")


def fig6_hooks(ctx: Ctx) -> list[Row]:
    top, names = ctx.worktree()
    missing = [h for h in HOOKS if ctx.gm.script(h) is None]
    rows = [
        Row("6", f"`{h}`", "not available", verdict="n/a", note="console script not installed")
        for h in missing
    ]
    present = [h for h in HOOKS if h not in missing]
    if not present:
        return rows
    # pre-commit passes the staged names: stage the 100 changed files
    from fixtures import git

    git(["add", "-u"], top)
    staged = git(["diff", "--cached", "--name-only"], top).splitlines()
    env = tool_env()
    cmds: dict[str, Cmd] = {}
    for h in present:
        exe = ctx.gm_script(h)
        cmds[f"{h} (no names)"] = Cmd([exe], top, env)
        cmds[f"{h} ({len(staged)} staged names)"] = Cmd([exe, *staged], top, env)
        cmds[f"{h} (all {len(names):,} names)"] = Cmd([exe, *names], top, env)
    if ctx.gm.script("gitops-ml") is not None:
        cmds["gitops-ml hook pre-commit (git hook, staged files)"] = Cmd(
            [ctx.gm_script(), "hook", "pre-commit"], top, env
        )
    n = ctx.sizes.rounds
    log(f"fig 6: {n} alternating rounds of {len(cmds)} hook invocations")
    res = harness.alternate(cmds, n)
    for label, s in res.items():
        codes = sorted(s.exit_codes)
        ok = s.median < 0.3 and codes == [0]
        rows.append(
            Row(
                "6",
                f"`{label}` in a {len(names):,}-file repo",
                ms(s.median),
                target="< 300 ms, exit 0",
                verdict=verdict(ok),
                note="" if codes == [0] else f"exit codes {codes}",
                data=s.summary(),
            )
        )
    return rows
