"""Data versioning: the local content-addressed cache and the data remote (fsspec), restore
and push, verified by hash. Imports ``core`` and ``ui``.
"""
