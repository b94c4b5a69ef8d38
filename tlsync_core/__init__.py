"""tlsync core: signals, store, the sync wire protocol and the room (no network code here)."""
