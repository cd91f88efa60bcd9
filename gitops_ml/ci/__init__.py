"""Continuous integration: the runs a change claims, verifying them, the report, the grid
matrix. Imports ``reproduce``, ``sync`` and below.
"""
