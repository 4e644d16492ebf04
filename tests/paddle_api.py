"""A local server that answers like Paddle Billing's API, for the accounts service's tests.

Only what the service calls, with the documented response shapes (`{"data": ..., "meta":
{"request_id"}}`, errors as `{"error": {"type", "code", "detail", "documentation_url"}}`):

- `GET /customers/{id}`: the customer entity (404 `entity_not_found` when unknown);
- `POST /transactions`: a draft transaction with `checkout.url` (custom_data kept);
- `POST /customers/{id}/portal-sessions`: `urls.general.overview`.

Every request needs `Authorization: Bearer <api key>` (403 `forbidden` otherwise).
`server.customers` and `server.transactions` are plain dicts the tests fill and read.
"""

from __future__ import annotations

import json
import re
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from tests.httpserver import running

DOCS = "https://developer.paddle.com/errors/shared/"


@dataclass
class PaddleApi:
    url: str
    api_key: str
    customers: dict[str, dict] = field(default_factory=dict)
    transactions: dict[str, dict] = field(default_factory=dict)
    requests: list[str] = field(default_factory=list)


def _handler(api: PaddleApi):
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args) -> None:  # quiet
            pass

        def reply(self, status: int, doc: dict) -> None:
            body = json.dumps(doc).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def error(self, status: int, code: str, detail: str) -> None:
            self.reply(status, {"error": {"type": "request_error", "code": code,
                                          "detail": detail, "documentation_url": DOCS + code},
                                "meta": {"request_id": str(uuid.uuid4())}})  # fmt: skip

        def ok(self, data: dict, status: int = 200) -> None:
            self.reply(status, {"data": data, "meta": {"request_id": str(uuid.uuid4())}})

        def authorised(self) -> bool:
            api.requests.append(f"{self.command} {self.path}")
            if self.headers.get("Authorization") != f"Bearer {api.api_key}":
                self.error(403, "forbidden", "You aren't permitted to perform this request.")
                return False
            return True

        def do_GET(self) -> None:
            if not self.authorised():
                return
            m = re.fullmatch(r"/customers/(ctm_[a-z0-9]+)", self.path)
            if m and m.group(1) in api.customers:
                return self.ok(api.customers[m.group(1)])
            self.error(404, "entity_not_found", "Entity not found.")

        def do_POST(self) -> None:
            if not self.authorised():
                return
            length = int(self.headers.get("Content-Length") or 0)
            body = json.loads(self.rfile.read(length) or b"{}")
            if self.path == "/transactions":
                txn = "txn_" + uuid.uuid4().hex[:26]
                data = {"id": txn, "status": "draft", "items": body.get("items", []),
                        "custom_data": body.get("custom_data"),
                        "checkout": {"url": f"{api.url}/pay?_ptxn={txn}"}}  # fmt: skip
                api.transactions[txn] = data
                return self.ok(data, 201)
            m = re.fullmatch(r"/customers/(ctm_[a-z0-9]+)/portal-sessions", self.path)
            if m and m.group(1) in api.customers:
                url = f"https://customer-portal.paddle.com/cpl_test?session={uuid.uuid4().hex}"
                return self.ok({"id": "cpls_" + uuid.uuid4().hex[:26], "customer_id": m.group(1),
                                "urls": {"general": {"overview": url}, "subscriptions": []}},
                               201)  # fmt: skip
            self.error(404, "entity_not_found", "Entity not found.")

    return Handler


@contextmanager
def paddle_api(api_key: str = "pdl_test_apikey") -> Iterator[PaddleApi]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), None)
    with running(server) as url:
        api = PaddleApi(url=url, api_key=api_key)
        server.RequestHandlerClass = _handler(api)
        yield api
