"""``python -m tlsync_client serve ...`` is ``tlsync serve ...``."""

from tlsync_client.cli import main

main()
