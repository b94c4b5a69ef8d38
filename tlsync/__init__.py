"""The ``tlsync`` command: the server (:mod:`tlsync_core.server`) with, for ``--demo``, a bot
that is a client (:mod:`tlsync_client`).

This package sits above the two libraries and composes them; neither imports it (SPEC.md LAY1).
"""
