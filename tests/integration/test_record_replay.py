"""Record and replay: a session archived from a live (loopback) feed plays back through the real
pipeline with the alerts the night itself produced, over HTTP and from disk, for every kind.

Feeds are tests.fakes.FeedServer on 127.0.0.1; the "night itself" is the same bytes polled
directly by a Runtime's pollers, without any recording in between.
"""

from __future__ import annotations

import io
import json
import sqlite3
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any

import pytest

from bot.app.cli import main
from bot.app.rehearse import record, replay
from bot.app.runtime import Runtime
from bot.app.settings import Secrets, settings_from_dict
from bot.core.events import Alert
from bot.feeds.source import FeedSpec
from bot.rehearsal.recording import MANIFEST, RecordingError, open_inputs, read_recording, recording_from_files
from bot.rehearsal.scenarios import DEFAULT_FEED, scenario_files
from tests.databases import db_url
from tests.fakes.feed_server import FeedServer, Reply, Request
from tests.fakes.slack_api import FakeSlack
from tests.integration.feeds.samples import AP_FIXTURES, CLARITY_FIXTURES, CSV_FIXTURES, zip_of

SECRET = "s3cret-recording-key"
#: every fourth snapshot of the Alabama night and the last: first votes, the lead changes, the
#: recount zone, the call and "all reporting", in a quarter of the polls.
AL_FILES = list(dict.fromkeys(scenario_files()[::4] + scenario_files()[-1:]))
NO_SLACK = Secrets.from_env({})


@pytest.fixture(autouse=True)
def _no_outside_settings(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("SLACK_BOT_TOKEN", "ELECTIONBOT_CONFIG", "ELECTIONBOT_CHANNELS", "DATABASE_URL"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AP_API_KEY", SECRET)


@pytest.fixture
def server() -> Iterator[FeedServer]:
    with FeedServer() as srv:
        yield srv


def event_keys(alerts: Sequence[Alert]) -> list[str]:
    return [event.key for alert in alerts for event in alert.events]


def in_turn(replies: Sequence[Reply]) -> Callable[[Request], Reply]:
    """A live feed that moves on at each request (one request per poll), then stays put."""
    served = iter(range(len(replies)))
    last = [0]

    def answer(_: Request) -> Reply:
        last[0] = next(served, last[0])
        return replies[last[0]]

    return answer


def write_config(tmp_path: Path, feed: dict[str, Any]) -> Path:
    options = feed.pop("options", {})
    lines = ["[[feeds]]", *(f"{k} = {json.dumps(v)}" for k, v in feed.items())]
    if options:
        lines += ["[feeds.options]", *(f"{k} = {json.dumps(v)}" for k, v in options.items())]
    lines += ["[alerts]", 'channels = ["#desk"]', 'style = "messages"']
    path = tmp_path / "bot.toml"
    path.write_text("\n".join(lines) + "\n")
    return path


def record_cli(config: Path, out: Path, polls: int) -> None:
    assert main(["record", "--config", str(config), "--out", str(out), "--polls", str(polls), "--duration", "20"]) == 0
    assert (out / MANIFEST).is_file()


def direct_run(feed: dict[str, Any], steps: Sequence[Callable[[], None]], tmp_path: Path) -> list[Alert]:
    """The night without a recording: ``steps[i]()`` sets the live feed up for poll i, then the
    Runtime's poller polls it and the worker delivers to the console."""
    settings = settings_from_dict({"feeds": [feed], "alerts": {"channels": ["#desk"], "style": "messages"}})
    runtime = Runtime.build(settings, NO_SLACK, console=io.StringIO(), database_url=db_url(tmp_path / "direct.db"))
    try:
        for step in steps:
            step()
            runtime.pollers[0].poll()
            runtime.worker.deliver_due()
        return [alert for _, alert in runtime.store.sent_alerts("console")]
    finally:
        runtime.close()


def replayed(path: Path, via: str, **kw: Any) -> tuple[list[Alert], str]:
    out = io.StringIO()
    result = replay(
        read_recording(path),
        via=via,
        speed=0,
        out=out,
        secrets=NO_SLACK,
        base={"alerts": {"channels": ["#desk"], "style": "messages"}},
        **kw,
    )
    assert result.pending == 0
    return list(result.alerts), out.getvalue()


def all_text(directory: Path) -> bytes:
    return b"".join(p.read_bytes() for p in sorted(directory.rglob("*")) if p.is_file())


# -- the project's own JSON: the Alabama night ------------------------------------------------------


@pytest.fixture
def al_recording(tmp_path: Path, server: FeedServer) -> Path:
    server.handle(
        "/al/results.json",
        in_turn([Reply(200, f.read_bytes(), {"Content-Type": "application/json"}, etag=f'"{f.stem}"') for f in AL_FILES]),
    )
    config = write_config(
        tmp_path,
        {
            "name": DEFAULT_FEED,
            "kind": "json",
            "url": server.url(f"/al/results.json?key={SECRET}"),
            "interval_seconds": 0.05,
        },
    )
    out = tmp_path / "night"
    record_cli(config, out, polls=len(AL_FILES))
    return out


def test_record_archives_every_response_in_order_with_keys_redacted(al_recording: Path) -> None:
    lines = [json.loads(line) for line in (al_recording / MANIFEST).read_text().splitlines()]
    header, responses = lines[0], lines[1:]
    assert header["format"] == "electionbot-recording/1" and [f["name"] for f in header["feeds"]] == [DEFAULT_FEED]
    assert header["feeds"][0]["url"].endswith("?key=REDACTED")
    assert [r["poll"] for r in responses] == list(range(1, len(AL_FILES) + 1))
    assert [r["seq"] for r in responses] == sorted(r["seq"] for r in responses)
    assert [r["offset"] for r in responses] == sorted(r["offset"] for r in responses)
    for response, original in zip(responses, AL_FILES, strict=True):
        assert response["status"] == 200 and response["content_type"] == "application/json"
        assert response["etag"] == f'"{original.stem}"' and response["url"].endswith("?key=REDACTED")
        assert (al_recording / response["file"]).read_bytes() == original.read_bytes()
        assert response["at"].endswith("+00:00")
    assert SECRET.encode() not in all_text(al_recording)


@pytest.mark.parametrize("via", ["http", "disk"])
def test_a_replayed_recording_alerts_as_the_night_did(
    al_recording: Path, server: FeedServer, tmp_path: Path, via: str
) -> None:
    feed = {"name": DEFAULT_FEED, "kind": "json", "url": server.url("/direct.json"), "interval_seconds": 1}
    night = direct_run(
        feed, [lambda f=f: server.route("/direct.json", Reply(200, f.read_bytes())) for f in AL_FILES], tmp_path
    )
    alerts, text = replayed(al_recording, via)
    assert len(night) > 10 and event_keys(alerts) == event_keys(night)
    assert "RACE CALLED: Doug Jones (Dem) wins" in text and "TEST" not in text


def test_saved_files_replay_like_the_demo(tmp_path: Path, server: FeedServer) -> None:
    feed = {"name": DEFAULT_FEED, "kind": "json", "url": server.url("/direct.json"), "interval_seconds": 1}
    night = direct_run(
        feed, [lambda f=f: server.route("/direct.json", Reply(200, f.read_bytes())) for f in AL_FILES], tmp_path
    )
    saved = recording_from_files(AL_FILES, FeedSpec(DEFAULT_FEED, "json", "http://replay.invalid/al.json"), 0.8)
    for via in ("http", "disk"):
        result = replay(saved, via=via, speed=0, out=io.StringIO(), secrets=NO_SLACK, base={"alerts": {"style": "messages"}})
        assert event_keys(result.alerts) == event_keys(night), via


def test_a_replay_whose_process_ends_after_it_hands_over_its_runtime_unclosed_and_deletes_its_database(
    tmp_path: Path,
) -> None:
    """``python -m bot replay`` ends the process next: its temporary database is deleted without
    being closed (closing copies the log into a file about to go); one given is closed as ever."""
    saved = recording_from_files(AL_FILES[:3], FeedSpec(DEFAULT_FEED, "json", "http://replay.invalid/al.json"), 0.8)
    kept: list[object] = []
    result = replay(saved, speed=0, via="disk", out=io.StringIO(), secrets=NO_SLACK, keep_until_exit=kept)
    assert result.pending == 0 and result.delivered > 0 and result.alerts == ()  # not read back for a process that ends
    (runtime,) = kept
    assert isinstance(runtime, Runtime)
    database = Path(str(runtime.store.engine.url.database))
    assert database.name == "replay.db" and not database.parent.exists()  # the temporary directory is gone
    checkpointer = runtime.store.checkpointer
    assert checkpointer is not None
    assert checkpointer.stopped  # no checkpoint of a deleted file
    assert runtime.store.engine.pool.checkedin() > 0  # its connections were left open, not disposed
    runtime.store.engine.dispose()  # (the test process goes on: what the ended process would not do)

    given = tmp_path / "given.db"
    kept = []
    replay(
        saved, speed=0, via="disk", out=io.StringIO(), secrets=NO_SLACK, keep_until_exit=kept, database=f"sqlite:///{given}"
    )
    (closed,) = kept or [None]
    assert closed is None and given.exists()  # a database the caller named is closed, never abandoned
    conn = sqlite3.connect(given)
    try:
        assert conn.execute("SELECT count(*) FROM outbox").fetchone()[0] > 0
    finally:
        conn.close()


def test_with_a_slack_token_the_replay_posts_to_the_channel_too(tmp_path: Path) -> None:
    saved = recording_from_files(AL_FILES[:2], FeedSpec(DEFAULT_FEED, "json", "http://replay.invalid/al.json"), 0.8)
    with FakeSlack() as slack:
        secrets = Secrets("xoxb-test", None, slack.base_url)
        result = replay(
            saved,
            speed=0,
            out=io.StringIO(),
            secrets=secrets,
            base={"alerts": {"channels": ["C0DESK"], "style": "messages"}},
        )
        keys = [p["metadata"]["event_payload"]["alert_key"] for p in slack.posts("C0DESK")]
    assert result.pending == 0 and keys and keys == [alert.key for alert in result.alerts]


def test_replay_cli_plays_a_list_of_files(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["replay", *map(str, AL_FILES), "--step", "--via", "disk"]) == 0
    out = capsys.readouterr().out
    assert f"{len(AL_FILES)} polls of replay (json) via disk, as fast as possible" in out
    assert "LEAD CHANGE: Doug Jones (Dem) overtakes Roy Moore (GOP)" in out and ", 0 pending)" in out


def test_replay_cli_plays_a_recording_directory_at_speed(al_recording: Path, capsys: pytest.CaptureFixture[str]) -> None:
    recorded = read_recording(al_recording)
    span = recorded.responses[-1].offset - recorded.responses[0].offset
    assert main(["replay", str(al_recording), "--speed", "50"]) == 0
    out = capsys.readouterr().out
    assert "via http, at 50× the recorded pace" in out and "RACE CALLED" in out
    seconds = float(out.rsplit("(", 1)[1].split(" s;")[0])
    assert span / 50 <= seconds < span / 50 + 5  # the recorded pace, scaled


# -- AP: nextrequest deltas, a truncated reply, a quota 403 ------------------------------------------

AP_PATH = "/v2/elections/2017-12-12"


def ap_doc(name: str, **changes: Any) -> dict[str, Any]:
    return {**json.loads((AP_FIXTURES / name).read_text()), **changes}


def script_ap(server: FeedServer) -> None:
    """Full reply; a truncated delta and its continuation (one poll); a quota 403 and then
    "nothing changed" (one poll); "nothing changed" again."""
    server.route(AP_PATH, Reply.json(ap_doc("20171212_al_senate_full.json")))
    server.route(
        AP_PATH, Reply.json(ap_doc("20171212_al_senate_delta1.json")), query={"minDateTime": "2017-12-13T02:00:00.000Z"}
    )
    server.route(
        AP_PATH, Reply.json(ap_doc("20171212_al_senate_delta2.json")), query={"minDateTime": "2017-12-13T02:30:00.000Z"}
    )
    server.route(
        AP_PATH,
        Reply(403, b"quota"),
        Reply.json(ap_doc("20171212_al_senate_delta3_empty.json")),
        query={"minDateTime": "2017-12-13T03:30:00.000Z"},
    )


def test_an_ap_recording_replays_its_cursor_chain_over_http_and_from_disk(tmp_path: Path, server: FeedServer) -> None:
    script_ap(server)
    feed = {
        "name": "ap-al",
        "kind": "ap",
        "url": server.url(AP_PATH + "?statePostal=AL&level=ru"),
        "interval_seconds": 0.05,
        "options": {"quota_wait_seconds": 0.01},
    }
    record_cli(write_config(tmp_path, dict(feed)), tmp_path / "ap", polls=4)
    recording = read_recording(tmp_path / "ap")
    assert [(r.poll, r.status) for r in recording.responses][:5] == [(1, 200), (2, 200), (2, 200), (3, 403), (3, 200)]
    assert recording.responses[1].url.endswith("minDateTime=2017-12-13T02%3a00%3a00.000Z")
    assert SECRET.encode() not in all_text(tmp_path / "ap")

    script_ap(server)  # the same night again, polled directly
    night = direct_run({**feed, "url": feed["url"]}, [lambda: None] * 4, tmp_path)
    assert any(e.kind.value == "race_called" for a in night for e in a.events)
    for via in ("http", "disk"):
        alerts, _ = replayed(tmp_path / "ap", via)
        assert event_keys(alerts) == event_keys(night), via


TRENDS_PATH = "/v2/reports/senate-trend"
TRENDS = (AP_FIXTURES / "20171213_senate_trends.json").read_bytes()


def test_an_ap_recording_keeps_its_trendtable_and_replays_it_without_asking_ap(tmp_path: Path, server: FeedServer) -> None:
    script_ap(server)
    server.route(TRENDS_PATH, Reply(200, TRENDS, {"Content-Type": "application/json"}))
    report = server.url(TRENDS_PATH + f"?apikey={SECRET}")
    feed = {
        "name": "ap-al",
        "kind": "ap",
        "url": server.url(AP_PATH + "?statePostal=AL&level=ru"),
        "interval_seconds": 0.05,
        "options": {"quota_wait_seconds": 0.01, "trendtables": [report]},
    }
    record_cli(write_config(tmp_path, dict(feed)), tmp_path / "ap", polls=4)
    assert SECRET.encode() not in all_text(tmp_path / "ap"), "a report URL in the options is redacted too"
    assert any(TRENDS_PATH in r.url for r in read_recording(tmp_path / "ap").responses)

    server.clear_log()
    seen: list[Any] = []
    replay(
        read_recording(tmp_path / "ap"),
        via="http",
        speed=0,
        out=io.StringIO(),
        secrets=NO_SLACK,
        after=lambda runtime: seen.extend(runtime.store.latest_snapshots()),
    )
    assert server.hits(TRENDS_PATH) == 0 and server.hits(AP_PATH) == 0, "a replay never asks the real feed"
    (snapshot,) = seen
    (table,) = snapshot.balance
    assert table.office == "U.S. Senate" and {p.party for p in table.parties} >= {"Dem", "GOP"}


# -- Clarity: version file, summary, detail zip, settings (test mode) --------------------------------

GA = "/GA/105369"
GA_SUMMARY = (CLARITY_FIXTURES / "20201103_ga_summary.json").read_bytes()
GA_DETAIL = (CLARITY_FIXTURES / "20201103_ga_detail.xml").read_bytes()
GA_TEST_SETTINGS = (CLARITY_FIXTURES / "20201103_ga_electionsettings_test.json").read_bytes()


def publish_ga(server: FeedServer, version: str, summary: bytes) -> None:
    server.route(f"{GA}/{version}/json/en/summary.json", Reply(200, summary, {"Content-Type": "application/json"}))
    server.route(
        f"{GA}/{version}/json/en/electionsettings.json", Reply(200, GA_TEST_SETTINGS, {"Content-Type": "application/json"})
    )
    server.route(
        f"{GA}/{version}/reports/detailxml.zip",
        Reply(200, zip_of({"detail.xml": GA_DETAIL}), {"Content-Type": "application/zip"}),
    )


def script_ga(server: FeedServer) -> None:
    """A rehearsal upload (istestmode) read twice, then a second one with more votes counted."""
    publish_ga(server, "271927", GA_SUMMARY)
    publish_ga(server, "271930", GA_SUMMARY.replace(b"20150", b"90150").replace(b"30640", b"31640"))
    server.handle(f"{GA}/current_ver.txt", in_turn([Reply.text(v) for v in ("271927", "271927", "271930")]))


def test_a_clarity_recording_replays_and_every_message_says_test(tmp_path: Path, server: FeedServer) -> None:
    script_ga(server)
    feed = {"name": "ga", "kind": "clarity", "url": server.url(GA + "/"), "interval_seconds": 0.05}
    record_cli(write_config(tmp_path, dict(feed)), tmp_path / "ga", polls=3)
    recording = read_recording(tmp_path / "ga")
    fetched = [(r.poll, r.url.rsplit("/", 1)[-1]) for r in recording.responses]
    assert fetched == [
        (1, "current_ver.txt"), (1, "detailxml.zip"), (1, "summary.json"), (1, "electionsettings.json"),
        (2, "current_ver.txt"),
        (3, "current_ver.txt"), (3, "detailxml.zip"), (3, "summary.json"), (3, "electionsettings.json"),
    ]  # fmt: skip

    with FeedServer() as live:
        script_ga(live)
        night = direct_run({**feed, "url": live.url(GA + "/")}, [lambda: None] * 3, tmp_path)
    assert all(alert.test for alert in night) and "ga/GA-5000/lead_change/1" in event_keys(night)  # the third poll counts
    for via in ("http", "disk"):
        alerts, text = replayed(tmp_path / "ga", via)
        assert event_keys(alerts) == event_keys(night), via
        messages = [m for m in text.split("\n\n") if m.strip()]
        assert messages and all("TEST" in m for m in messages), via


# -- CSV -------------------------------------------------------------------------------------------


def test_a_csv_recording_replays_over_http_and_from_disk(tmp_path: Path, server: FeedServer) -> None:
    first = (CSV_FIXTURES / "20171212__al__special__general__precinct.csv").read_bytes()
    later = first.replace(b"Doug Jones,", b"Doug Jones,1")  # 815 → 1815 …: Jones overtakes
    counted = [Reply(200, body, {"Content-Type": "text/csv"}) for body in (first, first, later)]
    server.handle("/al.csv", in_turn(counted))
    feed = {
        "name": "al-csv",
        "kind": "csv",
        "url": server.url("/al.csv"),
        "interval_seconds": 0.05,
        "options": {"state": "AL"},
    }
    record_cli(write_config(tmp_path, dict(feed)), tmp_path / "csv", polls=3)
    recording = read_recording(tmp_path / "csv")
    assert len({r.path for r in recording.responses}) == 2  # the unchanged body was not stored twice

    server.handle("/al.csv", in_turn(counted))
    night = direct_run(feed, [lambda: None] * 3, tmp_path)
    assert event_keys(night)[-1] == "al-csv/AL-united-states-senator/lead_change/1"  # the third poll counts
    for via in ("http", "disk"):
        alerts, _ = replayed(tmp_path / "csv", via)
        assert event_keys(alerts) == event_keys(night), via


# -- what a newsroom gets wrong ----------------------------------------------------------------------


def run_cli(args: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str]:
    code = main(args)
    err = capsys.readouterr().err
    assert "Traceback" not in err
    return code, err


def test_a_missing_or_empty_directory_is_one_clear_message(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, err = run_cli(["replay", str(tmp_path / "nowhere")], capsys)
    assert code == 2 and "no such file or directory" in err
    (tmp_path / "empty").mkdir()
    code, err = run_cli(["replay", str(tmp_path / "empty")], capsys)
    assert code == 2 and "manifest.jsonl not found" in err


def test_a_corrupt_manifest_line_is_named(al_recording: Path, capsys: pytest.CaptureFixture[str]) -> None:
    manifest = al_recording / MANIFEST
    lines = manifest.read_text().splitlines()
    lines[3] = lines[3][:40]
    manifest.write_text("\n".join(lines) + "\n")
    code, err = run_cli(["replay", str(al_recording), "--step"], capsys)
    assert code == 2 and "manifest.jsonl: line 4 is not valid JSON" in err


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda doc: doc.pop("feed"), "line 2: 'feed' is missing"),
        (lambda doc: doc.update(file="../../etc/passwd"), "not a path inside the recording"),
        (lambda doc: doc.update(file="bodies/gone.json"), "body file bodies/gone.json is missing"),
        (lambda doc: doc.update(feed="elsewhere"), "feed 'elsewhere' is not in the header"),
    ],
)
def test_a_manifest_line_that_makes_no_sense_is_refused(
    al_recording: Path, change: Callable[[dict[str, Any]], Any], message: str
) -> None:
    manifest = al_recording / MANIFEST
    lines = manifest.read_text().splitlines()
    doc = json.loads(lines[1])
    change(doc)
    lines[1] = json.dumps(doc)
    manifest.write_text("\n".join(lines) + "\n")
    with pytest.raises(RecordingError, match=message.replace("(", r"\(").replace(".", r"\.")):
        read_recording(al_recording)


def test_a_body_changed_after_recording_is_refused(al_recording: Path) -> None:
    first = read_recording(al_recording).responses[0]
    assert first.path is not None
    first.path.write_bytes(b"{}")
    with pytest.raises(RecordingError, match="has changed since it was recorded"):
        replay(read_recording(al_recording), speed=0, out=io.StringIO(), secrets=NO_SLACK)


def test_recording_twice_into_one_directory_is_refused(
    al_recording: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config = write_config(tmp_path, {"name": "x", "kind": "json", "url": "http://127.0.0.1:9/"})
    code, err = run_cli(["record", "--config", str(config), "--out", str(al_recording), "--polls", "1"], capsys)
    assert code == 2 and "already holds a recording" in err


def test_files_the_bot_cannot_place_are_refused(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    odd = tmp_path / "notes.txt"
    odd.write_text("hello")
    code, err = run_cli(["replay", str(odd)], capsys)
    assert code == 2 and "cannot tell what kind of feed" in err
    csv = tmp_path / "al.csv"
    csv.write_bytes((CSV_FIXTURES / "20171212__al__special__general__precinct.csv").read_bytes())
    code, err = run_cli(["replay", str(csv)], capsys)
    assert code == 2 and "options.state" in err
    with pytest.raises(RecordingError, match="one recording directory, or a list of files"):
        open_inputs([tmp_path, csv])


def test_record_stops_when_asked(tmp_path: Path, server: FeedServer) -> None:
    server.route("/f.json", Reply(200, AL_FILES[0].read_bytes(), {"Content-Type": "application/json"}))
    settings = settings_from_dict(
        {"feeds": [{"name": "f", "kind": "json", "url": server.url("/f.json"), "interval_seconds": 0.05}]}
    )
    stop = threading.Event()

    def stop_after_three_polls() -> None:  # by the polls seen, not a wall-clock timer a loaded host outruns
        deadline = time.monotonic() + 60
        while server.hits("/f.json") < 3 and time.monotonic() < deadline:
            time.sleep(0.01)
        stop.set()

    threading.Thread(target=stop_after_three_polls, daemon=True).start()
    summary = record(settings, tmp_path / "r", stop=stop)
    assert summary.polls["f"] >= 2 and summary.responses >= 2 and summary.failed is None
    assert len(list((tmp_path / "r" / "bodies").iterdir())) == 1  # an unchanged body is kept once
