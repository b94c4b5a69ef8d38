"""tlsync client: the Python peer of a tldraw sync room."""
