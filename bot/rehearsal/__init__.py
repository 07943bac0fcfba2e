"""Rehearsing a night: recording feed replies, replaying them from a local site, bundled scenarios."""
