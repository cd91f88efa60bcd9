"""GitHub glue: the REST client, the Actions context, publishing comments and checks.
Imports ``reproduce``, ``sync`` and below.
"""
