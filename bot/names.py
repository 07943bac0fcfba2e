"""How a desk shortens a candidate's name, shared by alerts, answers and the balance of power."""

from __future__ import annotations

_SUFFIXES = frozenset({"jr", "jr.", "sr", "sr.", "ii", "iii", "iv"})


def surname(name: str) -> str:
    """'Doug Jones' → 'Jones'; 'Robert F. Kennedy Jr.' and 'Kennedy, Jr.' → 'Kennedy'. A single
    word (a pseudo-candidate such as 'Write-ins') is kept whole."""
    words = name.split()
    if len(words) < 2:
        return name
    parts = [p.rstrip(",") for p in words]
    while len(parts) > 1 and parts[-1].lower() in _SUFFIXES:
        parts.pop()
    return parts[-1]
