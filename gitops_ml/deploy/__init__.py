"""Deploys: the ``refs/deploy/<env>`` chain, policies and targets (command, Kubernetes).
Imports ``reproduce``, ``sync`` and below.
"""
