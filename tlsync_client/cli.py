"""The ``tlsync`` command: the server's command line (:mod:`tlsync_core.server.cli`) with a
client demo bot for ``--demo``. It lives in the client package, the upper layer, because the bot
is a client; ``python -m tlsync_core serve`` is the same command without ``--demo``."""

from __future__ import annotations

from collections.abc import Sequence

from tlsync_client.demo_bot import run_demo_bot
from tlsync_core.server.cli import main as serve_main

__all__ = ["main"]


def main(argv: Sequence[str] | None = None) -> None:
    """``tlsync serve ...`` (see :func:`tlsync_core.server.cli.main`)."""
    serve_main(argv, demo_bot=run_demo_bot)
