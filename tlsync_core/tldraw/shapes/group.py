"""The group shape (``shapes/TLGroupShape.ts``): no props, no migrations."""

from __future__ import annotations

from typing import Any, Final

from tlsync_core.store.validators import Validator
from tlsync_core.tldraw.props import PropsMigrations, create_shape_props_migration_sequence

__all__ = ["group_shape_migrations", "group_shape_props"]

group_shape_props: Final[dict[str, Validator[Any]]] = {}
"""A group has no props: its ``props`` must be an empty object."""

group_shape_migrations: Final[PropsMigrations] = create_shape_props_migration_sequence([])
"""An empty sequence ``com.tldraw.shape.group`` (version 0), ready for future migrations."""
