"""The room: the authoritative, pure state machine of a sync room, and its document lane."""
