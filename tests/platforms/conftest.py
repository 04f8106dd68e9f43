"""A platform's webhook endpoint, running for real, written from docs/webhooks.md; and orders to send it."""

import hashlib
import hmac
import json
import socket
import threading
from collections import Counter
from dataclasses import dataclass
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from django.utils import timezone

from rumorcases.disposal import services as disposal
from rumorcases.disposal.choices import Measure, OffenderRole

WEBHOOK_SECRET = "whsec-3f9a1c0e7b2d4a6f8e1c5b7d9a0f2e4c"


def signature_is_valid(secret: bytes, raw_body: bytes, header: str) -> bool:
    """The recipe of docs/webhooks.md, as a platform would write it."""
    expected = "sha256=" + hmac.new(secret, raw_body, hashlib.sha256).hexdigest()
    return hmac.compare_digest(expected, header or "")


@dataclass
class Received:
    delivery_id: str
    event: str
    signature_ok: bool
    body: bytes
    headers: dict

    @property
    def payload(self) -> dict:
        return json.loads(self.body)


class Receiver:
    """A platform's endpoint: verifies the signature, deduplicates on the delivery id, answers fast.

    `failures`: answers given first, before processing anything (a server in trouble).
    `always`: an answer given to every request (a server that never recovers).
    `lose_answers`: this many requests are processed, then answered 500 (the answer lost on the way).
    """

    def __init__(self, secret: str):
        self.secret = secret.encode()
        self.failures: list[int] = []
        self.always: int | None = None
        self.lose_answers = 0
        self.received: list[Received] = []
        self.processed: list[Received] = []
        self.during_request = None  # called (in the server's thread) while a request is being answered
        self.url = ""
        self._lock = threading.Lock()

    def times_processed(self) -> Counter:
        return Counter(item.delivery_id for item in self.processed)

    def times_received(self) -> Counter:
        return Counter(item.delivery_id for item in self.received)

    def answer(self, headers, raw_body: bytes) -> int:
        item = Received(headers.get("X-Rumorcases-Delivery", ""), headers.get("X-Rumorcases-Event", ""),
                        signature_is_valid(self.secret, raw_body, headers.get("X-Rumorcases-Signature", "")),
                        raw_body, dict(headers))
        with self._lock:
            self.received.append(item)
            if not item.signature_ok:
                return 401
            if self.always is not None:
                return self.always
            if self.failures:
                return self.failures.pop(0)
            if item.delivery_id not in {seen.delivery_id for seen in self.processed}:
                self.processed.append(item)
            if self.lose_answers:
                self.lose_answers -= 1
                return 500
            return 200

    def handler(self):
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                raw_body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                if receiver.during_request is not None:
                    receiver.during_request()
                status = receiver.answer(self.headers, raw_body)
                self.send_response(status)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args):
                pass

        return Handler


@pytest.fixture
def receiver():
    receiver = Receiver(WEBHOOK_SECRET)
    server = ThreadingHTTPServer(("127.0.0.1", 0), receiver.handler())
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    receiver.url = f"http://127.0.0.1:{server.server_address[1]}/hooks/rumorcases"
    yield receiver
    server.shutdown()
    server.server_close()
    thread.join(timeout=10)


@pytest.fixture
def closed_port_url():
    """An address where nothing listens: the connection is refused at once."""
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    sock.close()
    return f"http://127.0.0.1:{port}/hooks"


@pytest.fixture
def hooked(platform, receiver):
    """The shared platform, with its webhook pointing at the receiver."""
    platform.webhook_url = receiver.url
    platform.webhook_secret = WEBHOOK_SECRET
    platform.save(update_fields=["webhook_url", "webhook_secret"])
    return platform


def order_parts(build):
    """A case being disposed of, its report, and an approved posting ban on the report's author."""
    case = build.disposing()
    report = case.reports.get()
    penalty = disposal.penalty_propose(case=case, account=report.author, role=OffenderRole.ORIGINATOR,
                                       measure=Measure.POSTING_BAN, duration_days=30,
                                       legal_provision=build.provision, reasoning="编造谣言", by=build.c.disposal)
    disposal.penalty_approve(penalty=penalty, by=build.c.supervisor)
    penalty.refresh_from_db()
    return case, report, penalty


def issue(build, case, report, penalty, due_in=timedelta(days=1)):
    return disposal.order_issue(case=case, platform=build.platform, due_at=timezone.now() + due_in,
                                by=build.c.disposal, instructions="删除原帖并禁言30天",
                                items=[{"kind": "remove_content", "report": report},
                                       {"kind": "act_on_account", "penalty": penalty}])
