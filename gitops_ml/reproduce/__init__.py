"""Reproduce a run: rebuild its environment, re-run it in a worktree, verify its metrics
with tolerances. Imports ``runs`` and below; independent of ``sync``.
"""
