"""``tlsync``: the server's command line, with the demo bot for ``--demo``."""

from __future__ import annotations

from collections.abc import Sequence

from tlsync.demo_bot import run_demo_bot
from tlsync_core.server.cli import main as serve_main

__all__ = ["main"]


def main(argv: Sequence[str] | None = None) -> None:
    """``tlsync serve ...`` (see :func:`tlsync_core.server.cli.main`)."""
    serve_main(argv, demo_bot=run_demo_bot)
