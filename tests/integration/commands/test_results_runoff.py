"""/results states the runoff line and the votes-left estimate (or that there is none), through
Bolt's WSGI handler with signed requests, on a Georgia-style all-party special election."""

from __future__ import annotations

from datetime import UTC, datetime

from bot.core.model import Snapshot
from tests.integration.commands.conftest import texts
from tests.unit.core.test_runoffs import georgia

AT = datetime(2020, 11, 4, 6, 0, tzinfo=UTC)


def test_results_shows_the_runoff_line_and_says_when_votes_left_are_unknown(context_bot) -> None:
    early = Snapshot.of("ga", AT, [georgia(reporting=10, total=100)])
    answer = texts(context_bot(early).answer("georgia"))
    assert (
        "Runoff line: a majority (more than 50 %) of all votes (O.C.G.A. § 21-2-501(a)(1)); Warnock has 35.50 %, below it"
        in answer
    )
    assert "No estimate of the votes left yet (fewer than 20 % of precincts in, no baseline election to go by)" in answer
    late = Snapshot.of("ga", AT, [georgia(eevp=90.0)])
    answer = texts(context_bot(late).answer("georgia"))
    # 1,000,000 counted at 90 % of AP's expected vote: 111,111 left
    assert "About 111,111 votes left to count (estimate from the feed's expected vote)" in answer
    assert "Runoff line: a majority (more than 50 %)" in answer
