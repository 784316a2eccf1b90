"""Email rendering and sending, shared so that every Guichet email looks and travels alike.

A service keeps its messages as Jinja templates, one file per message and language
(`<templates>/<language>/<name>.j2`). Each extends the shared `layout.html.j2` and defines the
blocks `subject`, `text` and `content` (the HTML body). The HTML part is rendered with
autoescaping, the subject and text parts without, and the message leaves as one
multipart/alternative email through SES; one SES refuses is counted (`MailsNotSent`).
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import formatdate, make_msgid
from pathlib import Path
from typing import Any

from . import observability
from .web import DEFAULT_LANGUAGE, LANGUAGES

_SHARED_TEMPLATES = Path(__file__).parent / "templates"
_environments: dict[str, Any] = {}
_lock = threading.Lock()
_client: Any = None


@dataclass(frozen=True)
class Email:
    to: str
    subject: str
    text: str
    html: str


def render(templates: Path, name: str, language: str, to: str, **context: Any) -> Email:
    language = language if language in LANGUAGES else DEFAULT_LANGUAGE
    path = f"{language}/{name}.j2"
    values = {"language": language, **context}
    plain = _environment(templates, html=False).get_template(path)
    subject, text = (
        "".join(plain.blocks[block](plain.new_context(values))).strip() for block in ("subject", "text")
    )
    html = _environment(templates, html=True).get_template(path).render(values)
    return Email(to=to, subject=" ".join(subject.split()), text=text + "\n", html=html)


def send(email: Email, *, sender: str) -> str:
    """Send through SES; returns the SES message id."""
    global _client
    message = EmailMessage()
    message["From"] = sender
    message["To"] = email.to
    message["Subject"] = email.subject
    message["Date"] = formatdate(usegmt=True)
    message["Message-ID"] = make_msgid(domain=sender.rpartition("@")[2] or None)
    message.set_content(email.text)
    message.add_alternative(email.html, subtype="html")
    if _client is None:
        import boto3

        from .retries import ses_config

        _client = boto3.client("ses", config=ses_config())
    try:
        answer = _client.send_raw_email(
            Source=sender, Destinations=[email.to], RawMessage={"Data": message.as_bytes()}
        )
    except Exception:
        observability.count("MailsNotSent")
        raise
    return str(answer["MessageId"])


def _environment(templates: Path, *, html: bool) -> Any:
    key = f"{templates}|{html}"
    with _lock:
        if key not in _environments:
            import jinja2

            _environments[key] = jinja2.Environment(
                loader=jinja2.ChoiceLoader(
                    [jinja2.FileSystemLoader(str(templates)), jinja2.FileSystemLoader(str(_SHARED_TEMPLATES))]
                ),
                autoescape=html,  # noqa: S701 (plain-text parts are not HTML; the HTML part escapes)
                undefined=jinja2.StrictUndefined,
                trim_blocks=True,
                lstrip_blocks=True,
            )
        return _environments[key]
