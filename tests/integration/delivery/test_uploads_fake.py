"""The fake Slack's two-step upload (files.getUploadURLExternal → the upload URL on its own
loopback port → files.completeUploadExternal, files.info) and the bot's client of it
(bot/delivery/uploads.py), including slack_sdk's own files_upload_v2 as a witness of the wire
shape, and the faults the outbox must survive."""

from __future__ import annotations

import pytest
import requests
from slack_sdk import WebClient

from bot.delivery.sink import DeliveryError
from bot.delivery.slack import SlackSink, make_client
from bot.render.picture import Picture
from tests.fakes.sample_alerts import tiny_png
from tests.fakes.slack_api import UPLOAD_METHOD, FakeSlack

PICTURE = Picture(tiny_png(), "al-senate-chart.png", "Alabama Senate: the night", "Jones leads Moore by 1.5 points.")


@pytest.fixture
def slack():
    with FakeSlack() as fake:
        yield fake


def test_slack_sdk_files_upload_v2_lands_in_the_channel_with_its_bytes(slack):
    """slack_sdk's own three-step helper against the fake: the fake speaks the real wire."""
    client = WebClient(token="xoxb-test", base_url=slack.base_url)
    client.chat_postMessage(channel="C1", text="call")
    resp = client.files_upload_v2(
        channel="C1", content=PICTURE.png, filename=PICTURE.filename, title=PICTURE.title, alt_txt=PICTURE.alt_text
    )
    assert resp["ok"] and resp["file"]["title"] == PICTURE.title
    [shared] = slack.uploads("C1")
    assert shared["bytes"] == PICTURE.png and shared["alt_txt"] == PICTURE.alt_text
    message = slack.messages("C1")[-1]
    assert message["files"][0]["id"] == shared["id"] and message["ts"] == shared["ts"]
    # the upload URL is on the fake's second port, not the Web API's
    [get] = slack.calls_to("files.getUploadURLExternal")
    assert str(slack.port) not in get.response["upload_url"]
    assert get.response["upload_url"].startswith(slack.upload_root_url)


def test_upload_picture_shares_once_into_a_thread_and_files_info_finds_it(slack):
    client = make_client("xoxb-test", slack.base_url)
    sink = SlackSink(client)
    parent = sink.client.chat_postMessage(channel="C1", text="card")["ts"]
    seen: list[str] = []
    file_id = sink.send_picture(PICTURE, "C1", thread_id=parent, on_uploaded=seen.append)
    assert seen == [file_id]
    [shared] = slack.uploads("C1")
    assert shared["thread_ts"] == parent and shared["bytes"] == PICTURE.png
    replies = client.conversations_replies(channel="C1", ts=parent)["messages"]
    assert [m.get("files", [{}])[0].get("id") for m in replies[1:]] == [file_id]
    # thread replies stay out of the channel's history, as in Slack
    assert all("files" not in m for m in client.conversations_history(channel="C1")["messages"])
    assert sink.find_picture("C1", file_id) == shared["ts"]
    assert sink.find_picture("C2", file_id) is None


def test_the_file_id_is_known_before_the_share_and_an_uncompleted_file_is_not_shared(slack):
    """The commit point: on_uploaded sees the file before completeUploadExternal; when that call
    fails the file exists (files.info) but is in no channel, so redoing the upload is safe."""
    sink = SlackSink(make_client("xoxb-test", slack.base_url))
    slack.fail_next("files.completeUploadExternal", 503)
    seen: list[str] = []
    with pytest.raises(DeliveryError) as failed:
        sink.send_picture(PICTURE, "C1", on_uploaded=seen.append)
    assert failed.value.uncertain  # a 5xx may hide a share: the worker checks before redoing it
    assert slack.file(seen[0])["bytes"] == PICTURE.png
    assert sink.find_picture("C1", seen[0]) is None
    assert slack.uploads() == []


def test_a_lost_answer_to_the_completion_leaves_the_share_findable(slack):
    sink = SlackSink(make_client("xoxb-test", slack.base_url))
    slack.lose_next_answer("files.completeUploadExternal")
    seen: list[str] = []
    with pytest.raises(DeliveryError) as lost:
        sink.send_picture(PICTURE, "C1", on_uploaded=seen.append)
    assert lost.value.uncertain
    [shared] = slack.uploads("C1")
    assert sink.find_picture("C1", seen[0]) == shared["ts"]


@pytest.mark.parametrize("method", ["files.getUploadURLExternal", UPLOAD_METHOD, "files.completeUploadExternal"])
def test_a_429_at_any_step_is_a_retry_after_and_nothing_is_shared(slack, method):
    sink = SlackSink(make_client("xoxb-test", slack.base_url))
    slack.fail_next(method, 429, retry_after=7)
    with pytest.raises(DeliveryError) as limited:
        sink.send_picture(PICTURE, "C1")
    assert limited.value.retry_after == 7 and not limited.value.permanent
    assert slack.uploads() == []
    sink.send_picture(PICTURE, "C1")
    assert len(slack.uploads("C1")) == 1


def test_a_dropped_connection_on_the_upload_url_is_retried_not_uncertain(slack):
    sink = SlackSink(make_client("xoxb-test", slack.base_url))
    slack.fail_next(UPLOAD_METHOD, drop=True)
    with pytest.raises(DeliveryError) as dropped:
        sink.send_picture(PICTURE, "C1")
    assert not dropped.value.uncertain and not dropped.value.permanent
    assert not slack.calls_to("files.completeUploadExternal")


def test_the_fake_refuses_what_slack_refuses(slack):
    client = WebClient(token="xoxb-test", base_url=slack.base_url)
    got = client.files_getUploadURLExternal(filename="x.png", length=4)
    # the wrong length at the upload URL, a completion before the bytes, an unknown file
    assert requests.post(got["upload_url"], data=b"12345", timeout=5).status_code == 400
    with pytest.raises(Exception, match="file_upload_not_complete"):
        client.files_completeUploadExternal(files=[{"id": got["file_id"]}], channel_id="C1")
    assert requests.post(got["upload_url"], data=b"1234", timeout=5).text == "OK - 4"
    with pytest.raises(Exception, match="file_not_found"):
        client.files_completeUploadExternal(files=[{"id": "F404"}], channel_id="C1")
    with pytest.raises(Exception, match="channel_not_found"):
        client.files_completeUploadExternal(files=[{"id": got["file_id"]}], channel_id="#elections")
    # upload URLs are served on the upload port only, the Web API on its own
    assert (
        requests.post(
            slack.root_url + got["upload_url"].removeprefix(slack.upload_root_url), data=b"1234", timeout=5
        ).status_code
        == 404
    )
    assert requests.post(slack.upload_root_url + "/api/auth.test", timeout=5).status_code == 404


def test_a_name_without_a_known_id_is_an_operator_error_not_a_retry_loop(slack):
    sink = SlackSink(make_client("xoxb-test", slack.base_url))
    with pytest.raises(DeliveryError) as unknown:
        sink.send_picture(PICTURE, "#elections")
    assert unknown.value.permanent and "id" in (unknown.value.action or "")
    slack.channel_ids["#elections"] = "C0ELECT"
    sink.client.chat_postMessage(channel="#elections", text="call")
    sink._post("#elections", {"text": "call", "blocks": []}, {"event_type": "x", "event_payload": {}})
    sink.send_picture(PICTURE, "#elections")  # the id learnt from the post
    assert len(slack.uploads("C0ELECT")) == 1


def test_conversations_open_gives_a_dm_that_takes_uploads(slack):
    client = WebClient(token="xoxb-test", base_url=slack.base_url)
    dm = client.conversations_open(users="U123")["channel"]["id"]
    assert dm == "D123"
    SlackSink(client).send_picture(PICTURE, dm)
    [shared] = slack.uploads(dm)
    assert shared["bytes"] == PICTURE.png
    assert slack.file(shared["id"])["ims"] == ["D123"]


def test_missing_scope_names_files_write(slack):
    sink = SlackSink(make_client("xoxb-test", slack.base_url))
    slack.fail_next("files.getUploadURLExternal", 200, body={"ok": False, "error": "missing_scope"})
    with pytest.raises(DeliveryError) as missing:
        sink.send_picture(PICTURE, "C1")
    assert missing.value.permanent and "files:write" in (missing.value.action or "")
