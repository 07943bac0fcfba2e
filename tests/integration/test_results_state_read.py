"""``/results <state>`` on a national night reads only that state's races (issue 13).

After each commit of a 7,007-race snapshot, the web process decoded all of it to answer
``/results georgia`` (seconds of CPU, the p99 ``bench_results --feed national`` measured). These
tests count the races decoded (counts, never timings): a state read decodes that state's races,
then only the ones a poll rewrote, and answers byte for byte what the whole read answers.
The worker and the web process are two ``Store`` objects on one SQLite file, as SQLite sees two
processes.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import update

from benchmarks.national import replies
from bot.app.settings import load_recount_rules
from bot.codec import native
from bot.core.commands import parse
from bot.core.model import Snapshot
from bot.core.rules import RuleSettings
from bot.feeds.ap import parse_ap
from bot.render.answers import answer_command
from bot.render.slack_answers import slack_message
from bot.store.database import SnapshotRaceRow, Store
from handlers import Services
from handlers.results import AnswerCache, message_for

SMALL = 0.02  # about 300 races in 51 states and DC
RULES = RuleSettings(recount_rules=load_recount_rules())
AT = datetime(2026, 11, 4, 1, 0, tzinfo=UTC)


def _night(polls: int = 10) -> tuple[Snapshot, Snapshot]:
    """The small national night's first and last full snapshots; a race no poll changed is the
    very object of the first, as the poller hands it to the store."""
    snapshots: list[Snapshot] = []
    for n, (body, _) in enumerate(replies(seed=31, polls=polls, scale=SMALL, full=True)):
        races = parse_ap(body, "national").races
        if snapshots:
            before = snapshots[-1].races
            races = [before[r.key] if before.get(r.key) == r else r for r in races]
        snapshots.append(Snapshot.of("national", AT.replace(minute=n), races, version=f"v{n}"))
    return snapshots[0], snapshots[-1]


@pytest.fixture
def stores(tmp_path: Path) -> Iterator[tuple[Store, Store]]:
    url = f"sqlite:///{tmp_path / 'night.db'}"
    worker, web = Store(url), Store(url)
    worker.split_races_at = 10  # the small night stored as a national one, a row per race
    yield worker, web
    web.close()
    worker.close()


@pytest.fixture
def decoded(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The keys of every stored race decoded, in any way the store reads them."""
    keys: list[str] = []
    real = native.read

    def counting(document: str, feed: str) -> native.Reading:
        keys.extend(f"{r['state']}-{r['id']}" for r in json.loads(document)["races"])
        return real(document, feed)

    monkeypatch.setattr(native, "read", counting)
    return keys


def _in(snapshot: Snapshot, state: str) -> list[str]:
    return [key for key, race in snapshot.races.items() if race.state == state]


def test_a_state_read_decodes_only_that_states_races_then_only_the_ones_a_poll_rewrote(stores, decoded) -> None:
    worker, web = stores
    first, second = _night()
    worker.commit_poll(first, {}, {}, [])

    (georgia,) = web.state_snapshots("GA")
    assert sorted(decoded) == sorted(_in(first, "GA")) and 0 < len(decoded) < len(first.races) / 10
    assert list(georgia.races) == _in(first, "GA")
    assert all(georgia.races[k] == first.races[k] for k in georgia.races)
    assert (georgia.feed, georgia.generated_at, georgia.version) == (first.feed, first.generated_at, first.version)

    decoded.clear()
    assert web.state_snapshots("GA") == [georgia] and decoded == []  # same version: nothing read again

    worker.commit_poll(second, {}, {}, [])
    rewritten = [k for k in _in(second, "GA") if second.races[k] is not first.races[k]]
    assert rewritten and len(rewritten) < len(_in(second, "GA"))  # the seed changes some of Georgia, not all
    (georgia,) = web.state_snapshots("GA")
    assert decoded == rewritten  # the unchanged rows are reused, not decoded again
    assert dict(georgia.races) == {k: second.races[k] for k in _in(second, "GA")}
    assert georgia.generated_at == second.generated_at


def test_answers_from_the_state_read_are_byte_for_byte_the_whole_reads(stores, decoded) -> None:
    worker, web = stores
    first, second = _night()
    worker.commit_poll(first, {}, {}, [])
    worker.commit_poll(second, {}, {}, [])
    services = Services(web, RULES)
    texts = ["georgia", "GA", "georgia president", "georgia senate", "georgia gop", "wyoming", "texas swing"]
    # a county of Georgia, named as a desk would
    county = next(u.name for r in second.races.values() if r.state == "GA" for u in r.units if u.level.value != "state")
    texts.append(f"georgia {county}")
    asked = [message_for(parse(text), services, "C1", AnswerCache()) for text in texts]
    assert len(set(decoded)) < len(second.races) / 5  # no whole decode on the way
    whole = Store(web.url).latest_snapshots()
    assert [json.dumps(m, sort_keys=True) for m in asked] == [
        json.dumps(slack_message(answer_command(parse(text), whole, RULES)), sort_keys=True) for text in texts
    ]
    assert any("blocks" in m and len(json.dumps(m)) > 500 for m in asked)  # real answers, not notes only


def test_a_state_with_no_race_in_the_feeds_answers_as_before(stores) -> None:
    worker, web = stores
    first, _ = _night()
    worker.commit_poll(Snapshot.of("national", AT, [r for r in first.races.values() if r.state != "GA"]), {}, {}, [])
    services = Services(web, RULES)
    message = message_for(parse("georgia"), services, "C1", AnswerCache())
    assert "No results for Georgia in the feeds I follow. Tracked states:" in json.dumps(message)
    assert message == slack_message(answer_command(parse("georgia"), web.latest_snapshots(), RULES))


def test_one_unreadable_race_row_costs_that_race_and_is_said_once(stores, caplog: pytest.LogCaptureFixture) -> None:
    worker, web = stores
    first, _ = _night()
    worker.commit_poll(first, {}, {}, [])
    bad, *rest = _in(first, "GA")
    with worker.session() as s, s.begin():
        s.execute(
            update(SnapshotRaceRow)
            .where(SnapshotRaceRow.race_key == bad)
            .values(document='{"state": "GA", "id": "0", "office": "President", "candidates": "not a list"}')
        )
    caplog.set_level(logging.ERROR, logger="electionbot.store")
    (georgia,) = web.state_snapshots("GA")
    web._by_state.clear()  # the next version, as far as the rows' cache can tell
    (again,) = web.state_snapshots("GA")
    assert list(georgia.races) == rest == list(again.races)
    said = [r.getMessage() for r in caplog.records if "left out" in r.getMessage()]
    assert said == ["feed 'national': stored snapshot: race GA-0 left out: candidates: Input should be a valid list"]


def test_a_small_feed_stored_as_one_document_is_read_whole_as_before(tmp_path: Path) -> None:
    store = Store(f"sqlite:///{tmp_path / 'small.db'}")
    try:
        first, _ = _night()
        store.commit_poll(first, {}, {}, [])  # 300 races: one document (split_races_at is 1,000)
        assert store.state_snapshots("GA") is None  # the handler takes latest_snapshots, as it always did
    finally:
        store.close()
