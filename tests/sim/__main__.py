"""``python -m tests.sim``: the long seeded campaign (see :mod:`.campaign`)."""

from __future__ import annotations

import sys

from .campaign import main

if __name__ == "__main__":
    sys.exit(main())
