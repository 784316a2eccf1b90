"""The local webhook receiver: what `make run` offers a provider trying its webhooks (docs/WEBHOOKS.md).

The gateway records every POST to `/_local/webhooks/<name>` (answering 204) and shows them,
newest first, at `/_local/webhooks.json`, as the mailbox shows the mail: register
`http://127.0.0.1:8000/_local/webhooks/demo` as an endpoint and watch the events arrive. It keeps
the last MAX_KEPT requests, in memory, and checks no signature (the receiver's job,
docs/WEBHOOKS.md says how).
"""

from __future__ import annotations

import json
import re
import threading
from collections import deque
from datetime import UTC, datetime
from typing import Any

NAME = re.compile(r"[A-Za-z0-9_-]{1,64}")
MAX_KEPT = 500
SHOWN_HEADERS = (
    "Content-Type",
    "User-Agent",
    "Guichet-Signature",
    "Guichet-Event-Id",
    "Guichet-Event-Type",
    "Guichet-Delivery-Id",
)


class WebhookInbox:
    def __init__(self) -> None:
        self._received: deque[dict[str, Any]] = deque(maxlen=MAX_KEPT)
        self._lock = threading.Lock()

    def record(self, name: str, headers: Any, body: bytes) -> None:
        try:
            parsed: Any = json.loads(body)
        except ValueError:
            parsed = body.decode(errors="replace")
        item = {
            "name": name,
            "received_at": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
            "headers": {header: headers.get(header) for header in SHOWN_HEADERS if headers.get(header)},
            "body": parsed,
        }
        with self._lock:
            self._received.append(item)

    def items(self) -> list[dict[str, Any]]:
        """What was received, newest first."""
        with self._lock:
            return list(reversed(self._received))
