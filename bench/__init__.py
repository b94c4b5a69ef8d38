"""Benchmarks for tlsync (not part of the installed package).

Run from the repository root with the venv active: ``python -m bench.signals --help`` or
``python -m bench.store --help`` or ``python -m bench.protocol_codec --help``.
"""
