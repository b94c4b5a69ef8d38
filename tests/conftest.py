"""Fixtures shared by every test directory."""

from node_peer import node_peer

__all__ = ["node_peer"]
