"""Prove the Slack fakes behave like Slack for the clients the bot really uses (slack_sdk, Bolt, requests).

If these drift from real Slack behaviour, every test built on the fakes tests the wrong thing, so
each check here goes through the real client library rather than poking the fake's internals.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from urllib.parse import parse_qs

import pytest
import requests
from slack_bolt import App
from slack_bolt.adapter.wsgi import SlackRequestHandler
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from slack_sdk.http_retry.builtin_handlers import RateLimitErrorRetryHandler
from slack_sdk.signature import SignatureVerifier

from tests.fakes.slack_api import BOT_ID, BOT_USER_ID, TEAM_ID, FakeSlack, wait_for
from tests.fakes.slack_signing import compute_signature, post_signed, signed_headers, slash_body
from tests.fakes.wsgi_server import serve_wsgi

SECRET = "8f742231b10e8888abcd99yyyzzz85a5"
TOKEN = "xoxb-test"


@pytest.fixture
def slack() -> Iterator[FakeSlack]:
    with FakeSlack() as fake:
        yield fake


def client_for(slack: FakeSlack, **kwargs: object) -> WebClient:
    """A WebClient without the default connection retry, so failures surface immediately."""
    kwargs.setdefault("retry_handlers", [])
    return WebClient(token=TOKEN, base_url=slack.base_url, timeout=5, **kwargs)  # type: ignore[arg-type]


def raw_post(
    slack: FakeSlack, method: str, token: str | None = TOKEN, headers: dict[str, str] | None = None, **kwargs: object
) -> requests.Response:
    """Bypass slack_sdk to send exactly the bytes and headers a test wants."""
    all_headers = {"Authorization": f"Bearer {token}"} if token else {}
    all_headers.update(headers or {})
    return requests.post(slack.base_url + method, headers=all_headers, timeout=5, **kwargs)  # type: ignore[arg-type]


# --------------------------------------------------------------------------- Web API basics


def test_auth_test_identifies_the_bot(slack: FakeSlack) -> None:
    reply = client_for(slack).auth_test()
    assert (reply["team_id"], reply["user_id"], reply["bot_id"]) == (TEAM_ID, BOT_USER_ID, BOT_ID)


def test_post_then_update_is_recorded_and_stored(slack: FakeSlack) -> None:
    client = client_for(slack)
    posted = client.chat_postMessage(channel="C1", text="PA: Smith leads", blocks=[{"type": "divider"}])
    assert posted["ok"] and posted["channel"] == "C1"
    assert posted["message"]["text"] == "PA: Smith leads"
    updated = client.chat_update(channel="C1", ts=posted["ts"], text="PA: Smith wins")
    assert updated["ts"] == posted["ts"]
    [message] = slack.messages("C1")
    assert message["text"] == "PA: Smith wins" and message["blocks"] == [{"type": "divider"}]
    assert slack.posts("C1")[0]["text"] == "PA: Smith leads"
    call = slack.calls_to("chat.postMessage")[0]
    assert call.status == 200 and call.headers["authorization"] == f"Bearer {TOKEN}"


def test_ts_are_unique_increasing_and_slack_shaped(slack: FakeSlack) -> None:
    client = client_for(slack)
    results: list[str] = []
    lock = threading.Lock()

    def post(i: int) -> None:
        ts = client.chat_postMessage(channel="C1", text=f"m{i}")["ts"]
        with lock:
            results.append(ts)

    threads = [threading.Thread(target=post, args=(i,)) for i in range(12)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(set(results)) == 12
    assert min(results) == "1700000000.000100"
    assert [m["ts"] for m in slack.messages("C1")] == sorted(results)


def test_form_encoded_json_fields_are_decoded(slack: FakeSlack) -> None:
    form = {"channel": "C1", "text": "t", "blocks": '[{"type": "divider"}]', "metadata": '{"event_type": "x"}'}
    body = raw_post(slack, "chat.postMessage", data=form).json()
    assert body["ok"] and body["message"]["blocks"] == [{"type": "divider"}]
    assert slack.posts()[0]["metadata"] == {"event_type": "x"}


def test_update_of_unknown_message_fails(slack: FakeSlack) -> None:
    with pytest.raises(SlackApiError) as caught:
        client_for(slack).chat_update(channel="C1", ts="1.000000", text="x")
    assert caught.value.response["error"] == "message_not_found"


@pytest.mark.parametrize(
    ("register", "error"), [("missing_channels", "channel_not_found"), ("not_in_channels", "not_in_channel")]
)
def test_channel_errors_raise(slack: FakeSlack, register: str, error: str) -> None:
    getattr(slack, register).add("C404")
    with pytest.raises(SlackApiError) as caught:
        client_for(slack).chat_postMessage(channel="C404", text="hello")
    assert caught.value.response["error"] == error
    assert slack.posts() == [] and slack.calls_to("chat.postMessage")[0].status == 200


def test_token_checks(slack: FakeSlack) -> None:
    assert raw_post(slack, "auth.test", token=None).json() == {"ok": False, "error": "not_authed"}
    slack.invalid_tokens.add("xoxb-revoked")
    assert raw_post(slack, "auth.test", token="xoxb-revoked").json()["error"] == "invalid_auth"


def test_unknown_method_and_bad_json(slack: FakeSlack) -> None:
    assert raw_post(slack, "chat.frobnicate").json() == {"ok": False, "error": "unknown_method"}
    bad = raw_post(slack, "chat.postMessage", data=b"{nope", headers={"Content-Type": "application/json"})
    assert bad.json() == {"ok": False, "error": "invalid_json"}


# --------------------------------------------------------------------------- history, threads, permalinks


def test_history_newest_first_with_limit_oldest_and_metadata(slack: FakeSlack) -> None:
    client = client_for(slack)
    metadata = {"event_type": "race_call", "event_payload": {"race": "PA-SEN"}}
    ts = [client.chat_postMessage(channel="C1", text=f"m{i}", metadata=metadata)["ts"] for i in range(3)]
    history = client.conversations_history(channel="C1")
    assert [m["text"] for m in history["messages"]] == ["m2", "m1", "m0"]
    assert "metadata" not in history["messages"][0]
    limited = client.conversations_history(channel="C1", limit=2, oldest=ts[0], include_all_metadata=True)
    assert [m["ts"] for m in limited["messages"]] == [ts[2], ts[1]]
    assert limited["messages"][0]["metadata"] == metadata


def test_replies_and_permalink(slack: FakeSlack) -> None:
    client = client_for(slack)
    parent = client.chat_postMessage(channel="C1", text="parent")["ts"]
    client.chat_postMessage(channel="C1", text="reply", thread_ts=parent)
    assert [m["text"] for m in client.conversations_history(channel="C1")["messages"]] == ["parent"]
    assert [m["text"] for m in client.conversations_replies(channel="C1", ts=parent)["messages"]] == ["parent", "reply"]
    permalink = client.chat_getPermalink(channel="C1", message_ts=parent)["permalink"]
    assert permalink.endswith(parent.replace(".", ""))


# --------------------------------------------------------------------------- fault injection


def test_rate_limited_then_retry_succeeds(slack: FakeSlack) -> None:
    slack.fail_next("chat.postMessage", status=429, retry_after=0)  # 0 keeps the handler's sleep under 1 s
    client = client_for(slack, retry_handlers=[RateLimitErrorRetryHandler(max_retry_count=1)])
    assert client.chat_postMessage(channel="C1", text="hi")["ok"]
    assert [call.status for call in slack.calls_to("chat.postMessage")] == [429, 200]
    assert len(slack.messages("C1")) == 1


def test_429_carries_retry_after_and_ratelimited_body(slack: FakeSlack) -> None:
    slack.fail_next("chat.postMessage", times=2)
    for _ in range(2):
        reply = raw_post(slack, "chat.postMessage", json={"channel": "C1", "text": "x"})
        assert (reply.status_code, reply.headers["Retry-After"]) == (429, "1")
        assert reply.json() == {"ok": False, "error": "ratelimited"}
    assert raw_post(slack, "chat.postMessage", json={"channel": "C1", "text": "x"}).status_code == 200


def test_fail_next_500_is_html_and_custom_body_fakes_any_error(slack: FakeSlack) -> None:
    slack.fail_next("*", status=500)
    slack.fail_next("chat.postMessage", status=200, body={"ok": False, "error": "msg_too_long"})
    reply = raw_post(slack, "auth.test")
    assert reply.status_code == 500 and reply.headers["Content-Type"].startswith("text/html")
    with pytest.raises(SlackApiError) as caught:
        client_for(slack).chat_postMessage(channel="C1", text="x")
    assert caught.value.response["error"] == "msg_too_long"


def test_outage_returns_503_then_recovers(slack: FakeSlack) -> None:
    client = client_for(slack)
    slack.outage(0.3)
    with pytest.raises(SlackApiError) as caught:
        client.chat_postMessage(channel="C1", text="during")
    assert caught.value.response.status_code == 503
    time.sleep(0.35)
    assert client.chat_postMessage(channel="C1", text="after")["ok"]
    assert [m["text"] for m in slack.messages("C1")] == ["after"]


def test_outage_drop_closes_connection_without_answer(slack: FakeSlack) -> None:
    slack.outage(30, mode="drop")
    with pytest.raises(requests.ConnectionError):
        raw_post(slack, "auth.test")
    slack.end_outage()
    assert raw_post(slack, "auth.test").json()["ok"]
    assert [call.status for call in slack.calls_to("auth.test")] == [0, 200]


def test_per_channel_rate_limit() -> None:
    with FakeSlack(rate_limit_per_channel_per_second=10.0) as slack:  # one post per 100 ms per channel
        client = client_for(slack)
        client.chat_postMessage(channel="C1", text="first")
        with pytest.raises(SlackApiError) as caught:
            client.chat_postMessage(channel="C1", text="too soon")
        assert caught.value.response.status_code == 429 and caught.value.response.headers["Retry-After"] == "1"
        client.chat_postMessage(channel="C2", text="other channel is fine")
        time.sleep(0.11)
        client.chat_postMessage(channel="C1", text="paced")
        assert [p["text"] for p in slack.posts("C1")] == ["first", "paced"]


# --------------------------------------------------------------------------- helpers


def test_response_url_records_json(slack: FakeSlack) -> None:
    reply = requests.post(slack.response_url("r7"), json={"text": "PA: 52-47"}, timeout=5)
    assert (reply.status_code, reply.text) == (200, "ok")
    assert slack.responses == [("r7", {"text": "PA: 52-47"})]


def test_reset_and_wait_for(slack: FakeSlack) -> None:
    client_for(slack).chat_postMessage(channel="C1", text="x")
    slack.missing_channels.add("C9")
    slack.reset()
    assert slack.calls == [] and slack.messages("C1") == [] and not slack.missing_channels
    with pytest.raises(AssertionError):
        wait_for(lambda: False, timeout=0.05)
    assert slack.wait_for_posts(0) == []


# --------------------------------------------------------------------------- signing and Bolt


def test_signature_matches_slack_sdk() -> None:
    body = slash_body("PA senate")
    ts = int(time.time())
    assert compute_signature(body, SECRET, ts) == SignatureVerifier(SECRET).generate_signature(timestamp=str(ts), body=body)
    headers = signed_headers(body, SECRET, ts)
    verifier = SignatureVerifier(SECRET)
    assert verifier.is_valid(body, headers["X-Slack-Request-Timestamp"], headers["X-Slack-Signature"])
    assert not SignatureVerifier("other-secret").is_valid_request(body, headers)


def test_slash_body_has_slack_fields() -> None:
    fields = {k: v[0] for k, v in parse_qs(slash_body("PA senate", response_url="http://x/r")).items()}
    assert fields["command"] == "/results" and fields["text"] == "PA senate"
    assert fields["is_enterprise_install"] == "false" and fields["response_url"] == "http://x/r"
    assert {"token", "team_id", "team_domain", "channel_name", "user_name", "api_app_id", "trigger_id"} <= fields.keys()


@pytest.fixture
def bolt_url(slack: FakeSlack) -> Iterator[str]:
    """A Bolt app with a /results command, served over real HTTP, talking to the fake Slack."""
    app = App(
        signing_secret=SECRET,
        client=WebClient(token=TOKEN, base_url=slack.base_url),
        token_verification_enabled=False,
    )

    @app.command("/results")
    def results(ack, command, respond):  # type: ignore[no-untyped-def]
        ack("hi")
        if command["text"] == "later":
            respond(f"results for {command['user_id']}")

    with serve_wsgi(SlackRequestHandler(app)) as (base_url, _):
        yield base_url + "/slack/events"


def test_bolt_acks_signed_command(bolt_url: str) -> None:
    reply = post_signed(bolt_url, slash_body("PA"), SECRET)
    assert reply.status_code == 200 and "hi" in reply.text


@pytest.mark.parametrize(("secret", "age"), [("wrong-secret", 0), (SECRET, 400)])
def test_bolt_rejects_bad_signature_or_stale_timestamp(bolt_url: str, secret: str, age: int) -> None:
    reply = post_signed(bolt_url, slash_body("PA"), secret, timestamp=int(time.time()) - age)
    assert reply.status_code == 401


def test_bolt_respond_reaches_response_url(slack: FakeSlack, bolt_url: str) -> None:
    body = slash_body("later", user_id="U42", response_url=slack.response_url("cmd1"))
    assert post_signed(bolt_url, body, SECRET).status_code == 200
    wait_for(lambda: slack.responses, timeout=5)
    assert slack.responses[0][0] == "cmd1" and slack.responses[0][1]["text"] == "results for U42"
