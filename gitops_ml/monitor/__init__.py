"""Serving and monitoring a deployed model (Prometheus metrics). Imports ``reproduce``,
``sync`` and below.
"""
