"""The local mailbox: every email the services sent through SES in the runtime's moto.

moto keeps sent mail in its SES backend, in the runtime's own process; services send one
multipart/alternative message with `send_raw_email` (multipart/mixed around it when a file is
attached), parsed here with the `email` package. An attached file is listed with its name, type and
size, and its bytes in base64 (`attachments`), so that a test reads it as the customer would.
"""

from __future__ import annotations

import base64
import email
import email.policy
import html
import threading
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any

ACCOUNT_ID = "123456789012"


def _iso(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


class Mailbox:
    def __init__(self, region: str, account_id: str = ACCOUNT_ID) -> None:
        self.region = region
        self.account_id = account_id
        self._first_seen: dict[str, str] = {}
        self._lock = threading.Lock()

    def items(self) -> list[dict[str, Any]]:
        """Sent emails, newest first: {to, subject, text, html, sent_at}."""
        from moto.ses.models import ses_backends

        sent = list(ses_backends[self.account_id][self.region].sent_messages)
        return [self._item(message) for message in reversed(sent)]

    def forget_before(self, moment: datetime) -> int:
        """Forget the mail sent before `moment` (by its Date header); how many were forgotten."""
        from moto.ses.models import ses_backends

        backend = ses_backends[self.account_id][self.region]
        kept = [message for message in backend.sent_messages if not _sent_before(message, moment)]
        forgotten = len(backend.sent_messages) - len(kept)
        backend.sent_messages[:] = kept
        return forgotten

    def _item(self, message: Any) -> dict[str, Any]:
        with self._lock:
            seen = self._first_seen.setdefault(message.id, _iso(datetime.now(UTC)))
        raw = getattr(message, "raw_data", None)
        if raw is not None:
            return {"id": message.id, **_parse_raw(raw, seen, message.destinations)}
        destinations = getattr(message, "destinations", None) or {}
        to = destinations.get("ToAddresses", []) if isinstance(destinations, dict) else destinations
        body = getattr(message, "body", None) or f"(template {getattr(message, 'template', '?')})"
        return {
            "id": message.id,
            "to": ", ".join(to),
            "subject": getattr(message, "subject", "") or "",
            "text": body,
            "html": "",
            "sent_at": seen,
            "attachments": [],
        }


def _sent_before(message: Any, moment: datetime) -> bool:
    raw = getattr(message, "raw_data", None)
    if raw is None:
        return False
    date = email.message_from_string(raw, policy=email.policy.default)["Date"]
    try:
        return bool(date) and parsedate_to_datetime(str(date)) < moment
    except (TypeError, ValueError):
        return False


def _parse_raw(raw: str, seen: str, destinations: list[str]) -> dict[str, Any]:
    message = email.message_from_string(raw, policy=email.policy.default)
    parts = {}
    for subtype in ("plain", "html"):
        part = message.get_body(preferencelist=(subtype,))  # type: ignore[attr-defined]
        parts[subtype] = part.get_content() if part is not None else ""
    try:
        sent_at = _iso(parsedate_to_datetime(str(message["Date"]))) if message["Date"] else seen
    except (TypeError, ValueError):
        sent_at = seen
    return {
        "to": str(message["To"] or "") or ", ".join(dict.fromkeys(destinations)),
        "subject": str(message["Subject"] or ""),
        "text": parts["plain"],
        "html": parts["html"],
        "sent_at": sent_at,
        "attachments": [_attachment(part) for part in message.iter_attachments()],  # type: ignore[attr-defined]
    }


def _attachment(part: Any) -> dict[str, Any]:
    content = part.get_payload(decode=True) or b""
    return {
        "filename": part.get_filename() or "",
        "content_type": part.get_content_type(),
        "size": len(content),
        "base64": base64.b64encode(content).decode("ascii"),
    }


def page(items: list[dict[str, Any]]) -> str:
    """The mailbox as a page: each email's headers, its HTML (sandboxed) and its text."""
    escape = html.escape
    entries = []
    for item in items:
        rendered = (
            f'<iframe sandbox="allow-popups allow-popups-to-escape-sandbox" srcdoc="{escape(item["html"])}"'
            ' title="HTML part"></iframe>'
            if item["html"]
            else ""
        )
        entries.append(
            "<article>"
            f"<h2>{escape(item['subject'])}</h2>"
            f"<p class=meta>To <b>{escape(item['to'])}</b> · {escape(item['sent_at'])}</p>"
            f"{rendered}"
            + "".join(
                f"<p class=meta>Attached: {escape(file['filename'])} ({escape(file['content_type'])},"
                f" {file['size']} bytes)</p>"
                for file in item.get("attachments", [])
            )
            + f"<details><summary>Text part</summary><pre>{escape(item['text'])}</pre></details>"
            "</article>"
        )
    body = "\n".join(entries) or "<p>No email sent yet.</p>"
    return f"""<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>Guichet local mailbox ({len(items)})</title>
<style>
body {{ font-family: system-ui, sans-serif; max-width: 60rem; margin: 2rem auto; padding: 0 1rem; }}
article {{ border: 1px solid #ccc; border-radius: 6px; padding: 0 1rem 1rem; margin-bottom: 1.5rem; }}
.meta {{ color: #555; }}
iframe {{ width: 100%; height: 22rem; border: 1px solid #eee; }}
pre {{ white-space: pre-wrap; background: #f6f6f6; padding: .5rem; }}
</style>
</head>
<body>
<h1>Local mailbox</h1>
<p>Every email the services sent through SES, newest first. <a href="/_local/mail.json">JSON</a> ·
<a href="/">Home</a> · reload to see new mail.</p>
{body}
</body>
</html>
"""
