"""Our own JSON format ⇄ ``Snapshot``, with validation: read by the JSON feed, written by the store."""
