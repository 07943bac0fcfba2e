"""A rendered picture and what travels with it: the contract between the figure functions
(the night's chart, the county maps) and whoever delivers them (the outbox's uploads, the
``/results … chart`` answer, the console's ``--charts DIR``).

Why a type of its own: a picture is posted once, cached by race and snapshot version, and must
carry words for readers who cannot see it (alt text that states the numbers), so the bytes never
travel without their title, alt text and a stable file name.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Picture:
    #: PNG bytes, deterministic for the same inputs (fixed fonts, sizes and metadata).
    png: bytes
    #: a file name without a directory, e.g. ``al-senate-2017-chart.png``.
    filename: str
    #: a one-line title, as Slack shows above a file.
    title: str
    #: the numbers in words, for screen readers and for the text fallback.
    alt_text: str
