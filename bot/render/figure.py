"""What every picture shares: a matplotlib figure drawn with the Agg canvas (no display), one
fixed font and size, and PNG bytes that are the same run to run.

Why each setting: the figures are posted once and drawn again after a crash or on another
process, so identical inputs must give identical bytes (no "Software" or date metadata, no
font fallback that depends on the machine: DejaVu Sans ships with matplotlib). Slack shows a
picture first as a ~360-pixel-wide preview, so the fonts are large for the canvas and the
ticks few. matplotlib's global state (rcParams, the font cache) is not thread-safe, and the web
process answers on several threads, so one lock serializes drawing.
"""

from __future__ import annotations

import io
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import matplotlib

matplotlib.use("Agg")  # before any pyplot import anywhere in the process: never a display

from matplotlib.backends.backend_agg import FigureCanvasAgg  # noqa: E402  # after choosing the backend
from matplotlib.figure import Figure  # noqa: E402

from bot.core.model import Candidate, Race  # noqa: E402
from bot.core.parties import DEM, GOP, IND, OTHER_COLOUR, PARTY_COLOUR, normalize_party  # noqa: E402
from bot.core.states import state_name  # noqa: E402

#: inches and dots per inch: 900 × 500 pixels, scaled to about 0.4 in Slack's preview
SIZE = (9.0, 5.0)
DPI = 100
FONT = "DejaVu Sans"
#: base font size in points at 100 dpi (≈ 7 px in the preview, the smallest still legible)
FONT_SIZE = 16
INK = "#222222"
MUTED = "#777777"

_RC: dict[Any, Any] = {  # rc_context types its keys as a Literal of every rcParam
    "font.family": "sans-serif",
    "font.sans-serif": [FONT],
    "font.size": FONT_SIZE,
    "axes.titlesize": FONT_SIZE + 4,
    "axes.labelsize": FONT_SIZE,
    "xtick.labelsize": FONT_SIZE - 2,
    "ytick.labelsize": FONT_SIZE - 2,
    "legend.fontsize": FONT_SIZE - 3,
    "axes.edgecolor": MUTED,
    "axes.labelcolor": INK,
    "text.color": INK,
    "xtick.color": INK,
    "ytick.color": INK,
    "hatch.linewidth": 1.0,
    "hatch.color": "#9a9a9a",
    "path.simplify": True,
    "svg.hashsalt": "electionbot",
    # a feed's words are text, never TeX: "$5 fee for $10 bond" is no formula, an odd TeX command no error
    "text.parse_math": False,
}

_LOCK = threading.Lock()


@contextmanager
def drawing() -> Iterator[None]:
    """The lock and the fixed style, for the span of one figure."""
    with _LOCK, matplotlib.rc_context(_RC):
        yield


def new_figure(size: tuple[float, float] = SIZE) -> Figure:
    fig = Figure(figsize=size, dpi=DPI, facecolor="white")
    FigureCanvasAgg(fig)
    return fig


def png_bytes(fig: Figure) -> bytes:
    """The figure as PNG, without metadata that would change between runs or machines. zlib
    level 1: measured on the Alabama chart, 65 kB either way, but 70 ms faster than the default 6
    (flat colours compress as well at the fastest level)."""
    out = io.BytesIO()
    fig.savefig(
        out,
        format="png",
        dpi=DPI,
        facecolor="white",
        metadata={"Software": None},
        pil_kwargs={"compress_level": 1},
    )
    return out.getvalue()


def draw_png(paint: Callable[[Figure], None], size: tuple[float, float] = SIZE) -> bytes:
    """``paint`` a fresh figure under the lock and the style; its PNG bytes."""
    with drawing():
        fig = new_figure(size)
        paint(fig)
        return png_bytes(fig)


# --- the words every picture shares ---------------------------------------------------------

_LETTER = {DEM: "D", GOP: "R", IND: "I"}


def race_label(race: Race) -> str:
    """'Alabama U.S. Senate': the pictures' title."""
    return f"{state_name(race.state)} {race.office}"


def file_stem(race: Race) -> str:
    """'al-u-s-senate-2017': the start of a picture's file name (state, office, year)."""
    year = race.last_updated.strftime("%Y") if race.last_updated else ""
    raw = "-".join(x for x in (race.state.lower(), race.office.lower(), year) if x)
    return "".join(ch if ch.isalnum() else "-" for ch in raw).strip("-").replace("--", "-")


def party_letter(candidate: Candidate | None) -> str | None:
    """'D', 'R', 'I', or ``None`` for anyone else."""
    return _LETTER.get(normalize_party(candidate.party) or "") if candidate is not None else None


def party_colour(candidate: Candidate | None, default_party: str | None = None) -> str:
    party = normalize_party(candidate.party) if candidate is not None else default_party
    return PARTY_COLOUR.get(party or "", OTHER_COLOUR)


def surname(candidate: Candidate | None) -> str:
    if candidate is None:
        return ""
    return candidate.name.split()[-1] if candidate.name.split() else candidate.id
