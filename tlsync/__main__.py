"""``python -m tlsync serve ...`` is ``tlsync serve ...``."""

from tlsync.cli import main

main()
