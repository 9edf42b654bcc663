"""Delivery channels against real local servers: SMTP (aiosmtpd), Apprise json://, a signed webhook; retries and
failures recorded; a failing channel never blocks the others."""

from __future__ import annotations

import json
import socket
import time

import pytest
from aiosmtpd.controller import Controller
from rq import Queue, SimpleWorker

from monitor import keys
from monitor.config import Channel, Rule
from monitor.notify import SENDERS, DeliveryError
from monitor.status import collect
from tests.helpers import PostRecorder, WebhookReceiver
from workers.jobs import enqueue_deliveries

ALERT = {
    "id": "a1b2c3", "kind": "new", "revision": 1, "rule": "default", "watch": "Tadmur, SY",
    "place": {"name": "Tadmur", "mention": "Palmyra", "geonameid": 163808, "country": "SY", "lat": 34.56, "lon": 38.28},
    "status": "captured", "to": {"id": "sy-government", "name": "Syrian government", "mention": "The army"},
    "from": {"id": "islamic-state", "name": "Islamic State", "mention": "IS"}, "certainty": "claimed",
    "when": "2017-03-02", "published": "2017-03-02", "previous": {"holder": {"name": "Islamic State"}, "since": "2016-12"},
    "evidence": [{"text": "The army recaptured Palmyra.", "link": "https://x.example/1", "outlet": "X", "source": "x.example",
                  "certainty": "asserted", "published": "2017-03-02"}], "raised_at": 1488412800.0,
}


class Inbox:
    def __init__(self) -> None:
        self.messages: list = []

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 - aiosmtpd handler API
        self.messages.append(envelope)
        return "250 OK"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture()
def smtp():
    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=_free_port())
    controller.start()
    yield controller, inbox
    controller.stop()


class JsonReceiver(PostRecorder):
    """A plain HTTP endpoint that records JSON bodies (Apprise's json:// posts here)."""

    def __init__(self, status: int = 200) -> None:
        self.bodies: list[dict] = []
        super().__init__(status)

    def record(self, headers: dict, body: bytes) -> None:
        self.bodies.append(json.loads(body))


def test_email_reaches_a_real_smtp_server(smtp):
    controller, inbox = smtp
    SENDERS["email"]({"host": "127.0.0.1", "port": controller.port, "to": "desk@example.org",
                      "from": "placewatch@example.org"}, ALERT)
    assert len(inbox.messages) == 1
    body = inbox.messages[0].content.decode()
    assert "Subject: [placewatch] Tadmur: captured" in body and "Islamic State" in body and "x.example/1" in body


def test_email_to_a_closed_port_is_a_delivery_error():
    with pytest.raises(DeliveryError, match="SMTP delivery"):
        SENDERS["email"]({"host": "127.0.0.1", "port": _free_port(), "to": "x@example.org", "timeout": 2}, ALERT)


def test_apprise_json_url_posts_to_a_local_receiver():
    receiver = JsonReceiver()
    try:
        SENDERS["apprise"]({"url": f"json://127.0.0.1:{receiver.port}/hook"}, ALERT)
        assert len(receiver.bodies) == 1
        assert "Tadmur" in receiver.bodies[0]["title"] and "Syrian government" in receiver.bodies[0]["message"]
    finally:
        receiver.close()


def test_apprise_failure_is_a_delivery_error():
    receiver = JsonReceiver(status=500)
    try:
        with pytest.raises(DeliveryError):
            SENDERS["apprise"]({"url": f"json://127.0.0.1:{receiver.port}/hook"}, ALERT)
    finally:
        receiver.close()


@pytest.mark.parametrize("status", [400, 404, 500, 503])
def test_webhook_4xx_and_5xx_are_failures(status):
    receiver = WebhookReceiver("s3cret", status=status)
    try:
        with pytest.raises(DeliveryError, match=f"HTTP {status}"):
            SENDERS["webhook"]({"url": receiver.url, "secret": "s3cret"}, ALERT)
        assert receiver.received[0]["valid"]
    finally:
        receiver.close()


def test_webhook_signature_rejects_tampering_and_replays():
    from monitor.notify.webhook import sign, verify
    body = b'{"a": 1}'
    headers = {"webhook-id": "m1", "webhook-timestamp": str(int(time.time())),
               "webhook-signature": sign("s3cret", "m1", int(time.time()), body)}
    assert verify("s3cret", headers, body)
    assert not verify("s3cret", headers, b'{"a": 2}')
    assert not verify("other", headers, body)
    old = {**headers, "webhook-timestamp": str(int(time.time()) - 3600)}
    old["webhook-signature"] = sign("s3cret", "m1", int(old["webhook-timestamp"]), body)
    assert not verify("s3cret", old, body)


def test_a_failing_channel_never_blocks_the_others(make_runtime, tmp_path):
    good = WebhookReceiver("s3cret")
    bad = WebhookReceiver("s3cret", status=500)
    try:
        rt = make_runtime(channels=[Channel("bad", "webhook", {"url": bad.url, "secret": "s3cret"}),
                                    Channel("good", "webhook", {"url": good.url, "secret": "s3cret"}),
                                    Channel("file", "file", {"path": str(tmp_path / "a.jsonl")})],
                          rules=[Rule()])
        rt.alerts.save(dict(ALERT))
        enqueue_deliveries(rt, ALERT, ["bad", "good", "file"])
        enqueue_deliveries(rt, ALERT, ["bad", "good", "file"])  # a replayed job enqueues nothing twice
        queue = Queue(keys.QUEUE_ALERTS, connection=rt.r)
        assert queue.count == 3
        SimpleWorker([queue], connection=rt.r).work(burst=True, logging_level="WARNING")
        assert len(good.received) == 1 and good.received[0]["valid"]
        assert len(bad.received) == 1
        assert json.loads((tmp_path / "a.jsonl").read_text())["id"] == ALERT["id"]
        info = collect(rt)
        assert info["delivery_failures"][0]["channel"] == "bad" and "HTTP 500" in info["delivery_failures"][0]["error"]
        assert info["stats"]["alerts_failed"] == 1 and info["stats"]["alerts_sent"] == 2
        # the failed delivery waits for its retry with backoff, it is not dropped
        from rq.registry import ScheduledJobRegistry
        assert ScheduledJobRegistry(queue=queue).count == 1
    finally:
        good.close()
        bad.close()
