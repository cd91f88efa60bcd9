"""The lowest layer: git plumbing and the git store (refs, notes, snapshots, the only
writer under ``.git``), the run record, config, hashing, environment capture, ids, and the
shared helpers (atomic writes, retries, times, digests, exit codes). Imports nothing of
gitops_ml above it.
"""
