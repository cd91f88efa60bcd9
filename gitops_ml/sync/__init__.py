"""Git sync of runs, notes and deploy refs with a remote (fetch, merge, push). Imports
``runs`` and below; independent of ``reproduce``.
"""
