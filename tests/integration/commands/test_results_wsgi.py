"""/results through Bolt's WSGI handler, signed as Slack signs, against the Alabama 2017 night."""

from __future__ import annotations

import time
from datetime import timedelta

import pytest

from bot.core.events import Severity
from bot.core.targets import Target
from bot.store import subscriptions
from tests.fakes.slack_signing import post_signed, slash_body
from tests.integration.commands.conftest import CALL, FIRST, HALF, LAST, SECRET, ZONE, texts, with_house_race


def test_state_card_at_the_end_of_the_night(make_bot, night) -> None:
    bot = make_bot(night[LAST])
    for text in ("alabama", "AL", "al", "Alabama", "ALABAMA", "Ala.", "  aLaBaMa ", "Alabama senate", "senate alabama"):
        body = bot.answer(text)
        assert body["response_type"] == "ephemeral"
        answer = texts(body)
        for figure in (
            "49.92 %",
            "48.38 %",
            "20,715",
            "1.54 points",
            "Called",
            "Doug Jones",
            "2,235 of 2,235",
            "13,994 votes above",
            "CST",
        ):
            assert figure in answer, (text, figure, answer)
        share = [b for b in body["blocks"] if b["type"] == "actions"]
        assert share and share[0]["elements"][0]["action_id"] == "results_share"
        assert share[0]["elements"][0]["value"].startswith("AL")


@pytest.mark.parametrize(
    "index, figures",
    [
        (
            FIRST,
            [
                "Moore 2,175 (72.14 %)",
                "Jones 796 (26.40 %)",
                "Moore leads by 1,379 votes",
                "8 of 2,235 precincts",
                "Not called",
            ],
        ),
        (
            HALF,
            [
                "Moore 349,669",
                "Jones 284,458",
                "Moore leads by 65,211 votes",
                "1,156 of 2,235 precincts",
                "votes left to count",
            ],
        ),
        (
            ZONE,
            [
                "Moore leads by 3,783 votes (0.29 points)",
                "inside the 0.50 % automatic-recount line",
                "2,688 more votes",
                "About 46,041 votes left to count",
                "Jones needs 53.26 %",
                "10:03 p.m. CST",
            ],
        ),
        (CALL, ["Jones leads by 13,734 votes", "Called for Doug Jones (Dem)", "2,225 of 2,235"]),
    ],
)
def test_state_card_through_the_night(make_bot, night, index, figures) -> None:
    answer = texts(make_bot(night[index]).answer("alabama"))
    for figure in figures:
        assert figure in answer, (figure, answer)


def test_county_answers(make_bot, night) -> None:
    bot = make_bot(night[LAST])
    for text in ("alabama jefferson", "AL Jefferson County", "alabama JEFFERSON county", "alabama senate jefferson"):
        body = bot.answer(text)
        answer = texts(body)
        for figure in (
            "Jefferson County",
            "Jones 149,522 (68.11 %)",
            "Moore 66,309 (30.20 %)",
            "Write-ins 3,710 (1.69 %)",
            "Jones leads by 83,213 votes (37.90 points)",
            "173 of 173 precincts",
            "Statewide: Jones leads by 20,715",
            "CST",
        ):
            assert figure in answer, (text, figure, answer)
    for text in ("alabama st clair", "alabama St. Clair County", "alabama saint clair", "alabama Saint Clair"):
        assert "St. Clair County" in bot.answer(text)["text"], text
    for text in ("alabama dekalb", "alabama De Kalb", "alabama DE KALB county", "alabama dékalb"):
        assert "DeKalb County" in bot.answer(text)["text"], text
    typo = bot.answer("alabama jeferson")["text"]
    assert "Did you mean *Jefferson*?" in typo
    assert "Tuscaloosa County" in bot.answer("alabama tuscaloosa")["text"]


def test_county_early_in_the_night(make_bot, night) -> None:
    answer = make_bot(night[ZONE]).answer("alabama jefferson")["text"]
    assert "Jones 112,515 (66.49 %)" in answer and "136 of 173 precincts (78.61 %)" in answer
    assert "Statewide: Moore leads by 3,783 votes" in answer


def test_several_races_give_a_compact_list_and_offices_filter(make_bot, night) -> None:
    bot = make_bot(with_house_race(night[ZONE]))
    listing = texts(bot.answer("alabama"))
    assert "Alabama: 2 races" in listing
    assert "U.S. Senate" in listing and "Moore 49.30 % over Jones 49.00 %, leads by 3,783 votes (0.29 points)" in listing
    assert (
        "U.S. House, District 1" in listing
        and "Byrne 51.22 % over Kennedy 48.78 %, leads by 500 votes (2.44 points)" in listing
    )
    assert "98.34 % in" in listing and "50.00 % in" in listing
    senate = texts(bot.answer("Alabama senate"))
    assert "Alabama U.S. Senate" in senate and "Byrne" not in senate
    house = texts(bot.answer("alabama house"))
    assert "Byrne" in house and "Jones" not in house
    # An office across states, closest first: the Senate (0.29 points) before the House (2.44).
    across = bot.answer("house")["text"]
    assert "House races, closest first" in across and "Byrne" in across
    close = bot.answer("close")["text"]
    assert close.index("U.S. Senate") < close.index("U.S. House")
    hurdle = bot.answer("close hurdle")["text"]
    assert "needs" in hurdle
    county = texts(bot.answer("alabama baldwin"))
    assert "Baldwin County, Alabama: 2 races" in county and "Byrne 60.00 % over Kennedy 40.00 %" in county


def test_senate_and_close_across_states(make_bot, night) -> None:
    bot = make_bot(night[ZONE])
    senate = bot.answer("senate")["text"]
    assert "Senate races, closest first" in senate and "Alabama U.S. Senate" in senate and "0.29 points" in senate
    close = bot.answer("close")["text"]
    assert "Closest races" in close and "Jones needs 53.26 % of about 46,041 left" in close


def test_help_typos_and_unknown_words(make_bot, night) -> None:
    bot = make_bot(night[LAST])
    for text in ("", "help", "HELP", "?"):
        help_text = bot.answer(text)["text"]
        assert "/results alabama" in help_text and "Tracked states: Alabama (AL)" in help_text
        assert "subscribe" in help_text and "status" in help_text
    for typo in ("alabma", "Alabma", "alabam", "alabamma"):
        assert "Did you mean *Alabama*?" in bot.answer(typo)["text"], typo
    unknown = bot.answer("frobnicate")["text"]
    assert unknown.count("\n") == 0 and "/results help" in unknown
    assert "Did you mean `/results status`?" in bot.answer("stauts")["text"]
    assert "No results for Texas" in bot.answer("texas")["text"]
    assert "No results for New York" in bot.answer("NY")["text"]


def test_share_word_posts_in_channel_but_errors_stay_private(make_bot, night) -> None:
    bot = make_bot(night[LAST])
    shared = bot.answer("alabama share")
    assert shared["response_type"] == "in_channel" and "49.92 %" in shared["text"]
    assert not [b for b in shared["blocks"] if b["type"] == "actions"], "no share button on a shared answer"
    assert bot.answer("alabma share")["response_type"] == "ephemeral"
    assert bot.answer("share")["response_type"] == "ephemeral"


def test_share_button_posts_in_channel_to_the_response_url(make_bot, night) -> None:
    bot = make_bot(night[LAST])
    value = [b for b in bot.answer("alabama jefferson")["blocks"] if b["type"] == "actions"][0]["elements"][0]["value"]
    resp = bot.click_share(value)
    assert resp.status_code == 200
    bot.slack.wait_for(lambda: bot.slack.responses or None)
    name, params = bot.slack.responses[-1]
    assert name == "share"
    assert params["response_type"] == "in_channel"
    assert "Jones 149,522" in params["text"]
    assert not [b for b in params.get("blocks", []) if b.get("type") == "actions"]
    # A forged value that is not a read-only answer is refused, privately.
    bot.click_share("subscribe alabama")
    bot.slack.wait_for(lambda: len(bot.slack.responses) >= 2 or None)
    assert bot.slack.responses[-1][1]["response_type"] == "ephemeral"


def test_subscribe_unsubscribe_round_trip(make_bot, night) -> None:
    bot = make_bot(night[LAST])
    assert "no subscriptions" in bot.answer("subscriptions", channel="C777")["text"]
    assert "will now get Alabama alerts at level *quiet*" in bot.answer("subscribe alabama quiet", channel="C777")["text"]
    assert "now gets Alabama alerts at level *cards*" in bot.answer("subscribe AL cards", channel="C777")["text"]
    assert "level *all*" in bot.answer("subscribe texas", channel="C777")["text"]
    listing = texts(bot.answer("subscriptions", channel="C777"))
    assert "Alabama: *cards*" in listing and "Texas: *all*" in listing
    assert "no subscriptions" in bot.answer("subscriptions", channel="C888")["text"], "stored per channel"
    assert "no longer gets Alabama" in bot.answer("unsubscribe alabama", channel="C777")["text"]
    assert "was not subscribed to Alabama" in bot.answer("unsubscribe alabama", channel="C777")["text"]
    assert [s.scope for s in subscriptions.for_channel(bot.store, "C777")] == ["TX"]
    assert "Did you mean *Alabama*?" in bot.answer("subscribe alabma", channel="C777")["text"]
    assert "Which state?" in bot.answer("subscribe", channel="C777")["text"]
    assert "per channel" in bot.answer("subscribe alabama", channel="D0DM")["text"]


def test_a_direct_message_is_known_by_slacks_channel_name(make_bot, night) -> None:
    """Slack's slash command names a DM's channel "directmessage": that alone refuses a
    subscription, whatever the id looks like; a channel of the same id subscribes."""
    bot = make_bot(night[LAST])

    def ask(channel_name: str) -> str:
        body = slash_body("subscribe alabama", channel_id="C0DMLIKE", channel_name=channel_name)
        resp = post_signed(bot.url, body, SECRET)
        assert resp.status_code == 200, resp.text
        return resp.json()["text"]

    assert "per channel" in ask("directmessage")
    assert subscriptions.for_channel(bot.store, "C0DMLIKE") == []
    assert "will now get Alabama alerts" in ask("election-night")
    assert [s.scope for s in subscriptions.for_channel(bot.store, "C0DMLIKE")] == ["AL"]


def test_subscriptions_become_slack_targets(make_bot, night) -> None:
    bot = make_bot(night[LAST])
    configured = (Target("slack", "#elections", Severity.FEED), Target("console", "console", Severity.FEED))
    subscriptions.subscribe(bot.store, "C1", "AL", "quiet")
    subscriptions.subscribe(bot.store, "C2", "TX", "all")
    subscriptions.subscribe(bot.store, "#elections", "AL", "quiet")
    targets = subscriptions.subscribed_targets(bot.store, configured, "al-2017", platform="slack")()
    assert Target("slack", "C1", None, (("AL", Severity.LEAD),)) in targets
    assert not [t for t in targets if t.channel == "C2"], "a Texas subscription does not hear the Alabama feed"
    elections = [t for t in targets if t.channel == "#elections"]
    assert len(elections) == 1 and elections[0].level_for("AL") == Severity.FEED, "configured level kept, no duplicate"
    assert (
        subscriptions.subscribed_targets(bot.store, configured, "al-2017", platform="slack", enabled=False)() == configured
    )


def test_status_shows_failures_and_backlog(make_bot, night) -> None:
    bot = make_bot(night[LAST])
    healthy = bot.answer("status")["text"]
    assert "Alert outbox: 0 pending" in healthy
    at = night[LAST].generated_at + timedelta(minutes=5)
    bot.store.record_success("al-2017", changed=True, now=at)
    bot.store.record_failure(
        "al-2017", "HTTP 503 from http://feed.example/results.json <!channel>", now=at + timedelta(seconds=30)
    )
    bot.store.record_failure(
        "al-2017", "HTTP 503 from http://feed.example/results.json <!channel>", now=at + timedelta(seconds=60)
    )
    body = bot.answer("status")
    status = texts(body)
    assert "al-2017" in status and "FAILING: 2 failed polls in a row" in status
    assert "HTTP 503" in status and "last poll 10:45 p.m. CST" in status and "last change 10:44 p.m. CST" in status
    assert "<!channel>" not in status
    assert "Alert outbox: 0 pending · 0 sent · 0 failed" in status


def test_hostile_input_is_never_echoed_raw(make_bot, night) -> None:
    bot = make_bot(night[LAST])
    for text in (
        "<@U123> alabama",
        "<!channel>",
        "&lt;!here&gt;",
        "<!subteam^S1|@desk>",
        "*bold* _it_ `code` ~x~",
        "\x00\x07\u202e alabama\x1b[31m",
    ):
        body = bot.answer(text)
        shown = texts(body)
        assert "<@" not in shown and "<!" not in shown, (text, shown)
        assert body["response_type"] == "ephemeral"
    assert "49.92 %" in bot.answer("<@U123> alabama")["text"]
    long = bot.answer("a" * 201)["text"]
    assert "201 characters" in long and "aaaa" not in long
    assert "I don't know “DROP”" in bot.answer("<!channel> ;DROP TABLE races")["text"]


def test_bad_signature_and_replay_are_refused(make_bot, night) -> None:
    bot = make_bot(night[LAST])
    assert bot.ask("alabama", secret="wrong-secret").status_code == 401
    body = slash_body("alabama")
    assert post_signed(bot.url, body, SECRET, timestamp=int(time.time()) - 600).status_code == 401
    assert bot.ask("alabama").status_code == 200


def test_no_snapshot_yet_still_answers(make_bot) -> None:
    bot = make_bot()
    assert "none yet" in bot.answer("")["text"]
    assert "No results for Alabama" in bot.answer("alabama")["text"]
    assert "No feed has been polled yet" in bot.answer("status")["text"]


def test_answers_follow_the_new_snapshot(make_bot, night) -> None:
    bot = make_bot(night[ZONE])
    assert "Moore leads by 3,783" in bot.answer("alabama")["text"]
    bot.put(night[LAST])
    assert "Jones leads by 20,715" in bot.answer("alabama")["text"], "the answer cache follows the stored snapshot"
