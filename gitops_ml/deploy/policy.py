"""Whether a run may be deployed to an environment: exit code and verification."""

from __future__ import annotations

TYPE_CHECKING = False  # typing costs ~7 ms to import: only for the type checker
if TYPE_CHECKING:
    from typing import Any


def latest_verification(rec: dict[str, Any]) -> dict[str, Any] | None:
    """The newest ``verify`` fact in a run's notes (None: never verified)."""
    facts = [f for f in rec.get("notes") or [] if f.get("type") == "verify"]
    return facts[-1] if facts else None


def refusal(rec: dict[str, Any], env: str, settings: dict[str, Any]) -> str | None:
    """Why ``rec`` must not go to ``env`` (None: it may).

    A failed command, or a run whose latest verification failed, is refused everywhere;
    a run never verified is refused where the environment sets ``require_verified``.
    """
    code = rec.get("exit_code")
    if code not in (0, None):
        return f"run {rec['id']} failed (its command exited {code})"
    verdict = latest_verification(rec)
    if verdict is not None and not verdict.get("ok"):
        bad = [
            m.get("name") or m.get("metric")
            for m in verdict.get("metrics") or []
            if isinstance(m, dict) and m.get("ok") is False
        ]
        which = f" ({', '.join(str(b) for b in bad if b)} did not reproduce)" if any(bad) else ""
        return f"run {rec['id']} failed verification{which}"
    if verdict is None and settings.get("require_verified"):
        return (
            f"run {rec['id']} was never verified and environment '{env}' requires it "
            f"(gitops-ml reproduce {rec['id'][:10]} --verify)"
        )
    return None
