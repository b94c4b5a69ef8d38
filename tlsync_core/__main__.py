"""``python -m tlsync_core serve ...`` is ``tlsync serve ...``."""

from tlsync_core.server.cli import main

main()
