"""``gitops-ml ci report``: render the check's result and, on GitHub, post it.

Reads the result ``ci verify --out`` wrote (``--input FILE``, ``-`` for stdin) and prints
it as Markdown (default) or JSON. ``--summary`` appends the Markdown to the job summary;
``--artifact DIR`` writes ``report.md``, ``result.json`` and ``pull-request.json`` there.
``--post`` puts it on the pull request: one sticky comment (edited in place), a commit
status on the head commit, a check run where the token allows it. On a pull request from
a fork (a read-only token) ``--post`` posts nothing and says so: the summary and the
artifact carry the report, and the ``workflow_run`` follow-up (``pr-comment.yml``) posts
it with ``--pr N --sha SHA``, which are checked against the API before anything is posted.

Exit codes: 0 rendered (and posted); 1 with ``--exit-code``, the check had failed;
2 bad input (not a result, no pull request); 3 GitHub refused or is unreachable (the line
names the missing permission).
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from gitops_ml.ci import report
from gitops_ml.core.errors import UsageError

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any


def configure(p: argparse.ArgumentParser) -> None:
    """Declare this command's arguments."""
    p.add_argument("--input", required=True, metavar="FILE", help="the result of ci verify --out")
    fmt = p.add_mutually_exclusive_group()
    fmt.add_argument("--json", action="store_true", help="print JSON instead of Markdown")
    fmt.add_argument("--quiet", action="store_true", help="print nothing")
    p.add_argument("--summary", action="store_true", help="append to $GITHUB_STEP_SUMMARY")
    p.add_argument("--artifact", metavar="DIR", help="write the report files into DIR")
    p.add_argument("--post", action="store_true", help="post on the pull request (GITHUB_TOKEN)")
    p.add_argument("--pr", type=int, help="the pull request number (default: from the event)")
    p.add_argument(
        "--pr-file", metavar="FILE", help="the pull-request.json of a report artifact (its number)"
    )
    p.add_argument("--sha", help="its head commit (default: from the event)")
    p.add_argument("--repository", help="OWNER/NAME (default: from the event)")
    p.add_argument("--context", default="gitops-ml", help="the status and check run name")
    p.add_argument(
        "--check-run",
        choices=("auto", "never"),
        default="auto",
        help="auto: create a check run where the token allows it",
    )
    p.add_argument("--exit-code", action="store_true", help="exit 1 when the check failed")


def _load(path: str) -> dict[str, Any]:
    try:
        raw = sys.stdin.read() if path == "-" else Path(path).read_text(encoding="utf-8")
        data = json.loads(raw)
    except (OSError, ValueError) as exc:
        raise UsageError(f"{path}: not a ci verify result: {exc}") from None
    return report.validate(data, path)


def _log(message: str) -> None:
    print(f"gitops-ml: {message}", file=sys.stderr, flush=True)


def _pull_request(args: argparse.Namespace) -> Any:
    from gitops_ml.github import context

    pr = context.pull_request()
    if args.pr_file:
        try:
            number = json.loads(Path(args.pr_file).read_text(encoding="utf-8")).get("number")
        except (OSError, ValueError, AttributeError) as exc:
            raise UsageError(f"{args.pr_file}: not a pull-request.json: {exc}") from None
        if not isinstance(number, int) or isinstance(number, bool) or number < 1:
            raise UsageError(f"{args.pr_file}: no pull request number")
        args.pr = number
    if args.pr is not None or args.sha is not None:
        if args.pr is None or args.sha is None:
            raise UsageError("--pr and --sha go together")
        repo = args.repository or context.repository()
        if not repo:
            raise UsageError("--repository OWNER/NAME is needed outside GitHub Actions")
        return context.PullRequest(
            args.pr, context.check_sha(args.sha), None, context.check_repository(repo), False
        ), True
    if pr is None:
        raise UsageError("--post needs a pull_request event (or --pr N --sha SHA)")
    if args.repository:
        pr.repository = context.check_repository(args.repository)
    return pr, False


def _post(args: argparse.Namespace, result: dict[str, Any], markdown: str) -> dict[str, Any]:
    from gitops_ml.github import context
    from gitops_ml.github.client import Client
    from gitops_ml.github.publish import publish

    pr, explicit = _pull_request(args)
    if pr.fork:
        _log(
            "a pull request from a fork has a read-only token: the report is in the job summary "
            "and the artifact; the workflow_run follow-up (pr-comment.yml) posts it"
        )
        return {"pr": pr.number, "fork": True}
    client = Client(context.api_url(), context.token(), pr.repository)
    if explicit:
        actual = client.head_sha(pr.number)
        if actual != pr.head_sha:
            raise UsageError(
                f"pull request #{pr.number} is at {actual[:12]}, not {pr.head_sha[:12]}: "
                "the report is for another commit; nothing posted"
            )
    state, description = report.state(result)
    return publish(
        client,
        pr,
        markdown=markdown,
        marker=report.MARKER,
        state=state,
        description=description,
        context=args.context,
        check_run=args.check_run == "auto",
        details_url=context.run_url(),
        log=_log,
    )


def _artifact(directory: str, result: dict[str, Any], markdown: str) -> None:
    from gitops_ml.github import context

    out = Path(directory)
    out.mkdir(parents=True, exist_ok=True)
    (out / "report.md").write_text(markdown, encoding="utf-8")
    (out / "result.json").write_text(report.as_json(result) + "\n", encoding="utf-8")
    pr = context.pull_request()
    if pr is not None:
        info = {"number": pr.number, "head_sha": pr.head_sha, "repository": pr.repository}
        (out / "pull-request.json").write_text(json.dumps(info) + "\n", encoding="utf-8")


def main(args: argparse.Namespace) -> int:
    result = _load(args.input)
    markdown = report.markdown(result)
    if args.summary:
        from gitops_ml.github.context import write_summary

        if not write_summary(markdown):
            _log("--summary: GITHUB_STEP_SUMMARY is not set; no job summary written")
    if args.artifact:
        _artifact(args.artifact, result, markdown)
    posted = _post(args, result, markdown) if args.post else None
    if args.json:
        out = dict(result)
        if posted is not None:
            out["posted"] = posted
        sys.stdout.write(report.as_json(out) + "\n")
    elif not args.quiet:
        sys.stdout.write(markdown)
    return 1 if args.exit_code and not result.get("ok") else 0
