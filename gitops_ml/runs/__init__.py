"""Runs: recording a run, the local query index, queries, lineage, comparisons, status
derived from notes. Imports ``core``, ``ui`` and ``data``.
"""
