"""Email rendering and sending, shared so that every Guichet email looks and travels alike.

A service keeps its messages as Jinja templates, one file per message for every language
(`<templates>/<name>.j2`). Each extends the shared `layout.html.j2` and defines the
blocks `subject`, `text` and `content` (the HTML body). The HTML part is rendered with
autoescaping, the subject and text parts without, and the message leaves as one
multipart/alternative email through SES (multipart/mixed around it when files are attached);
one SES refuses is counted (`MailsNotSent`).

The brand (`guichet_contracts.brand`) is in every template as `brand` (`provider` is its name):
the layout takes its name, logo, colours, legal identity and support lines from it.

Texts are gettext messages (`{% trans %}`, English source) translated by catalogs, one per
language: the service's `<templates>/locale/<language>.po`, then the layout's own
(`templates/locale/<language>.po` beside this module), then the brand's `texts`, keyed by a
message's English source, which reword any of them for one provider. Catalogs are read from
their .po files once per process (a few milliseconds, `catalogs.read`), so what is tested is
what ships.

Words a service puts in an email's context rather than in its template (a document kind, a
payment method's name) are messages of the same catalogs, each with a context saying what it
names: the service marks them `pgettext_noop("payment method", "card")` (the catalogs' tool
finds them there) and says them with `pgettext(templates, language, context, message)`.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import formatdate, make_msgid
from pathlib import Path
from typing import Any

from . import formatting, observability
from .brand import Brand, load_brand
from .catalogs import read
from .web import DEFAULT_LANGUAGE, LANGUAGES

_SHARED_TEMPLATES = Path(__file__).parent / "templates"
_environments: dict[str, Any] = {}
_translations: dict[tuple[Path, str, Path], Any] = {}
_lock = threading.Lock()
_client: Any = None


@dataclass(frozen=True)
class Attachment:
    """A file sent with a message (a written confirmation as PDF, say)."""

    filename: str
    content: bytes
    content_type: str = "application/pdf"


@dataclass(frozen=True)
class Email:
    to: str
    subject: str
    text: str
    html: str
    reply_to: str | None = None  # where an answer goes, when not to the sender
    attachments: tuple[Attachment, ...] = ()


def render(
    templates: Path, name: str, language: str, to: str, *, brand: Brand | None = None, **context: Any
) -> Email:
    """One message to `to` in `language`; `brand` defaults to the provider's (`load_brand()`).
    The context may carry `logo_url`, an address of the brand's logo the recipient can reach:
    the header then shows the logo instead of the name."""
    path, values = _prepare(templates, name, language, brand, context)
    environment = _environment(templates, html=False)
    plain = environment.get_template(path)
    subject, text = (
        "".join(plain.blocks[block](plain.new_context(values))).strip() for block in ("subject", "text")
    )
    footer = environment.get_template("footer.txt.j2").render(values).strip()
    html = _environment(templates, html=True).get_template(path).render(values)
    return Email(to=to, subject=" ".join(subject.split()), text=f"{text}\n\n{footer}\n", html=html)


def subject(templates: Path, name: str, language: str, *, brand: Brand | None = None, **context: Any) -> str:
    """The subject line alone of one message (what tests look a mail up by)."""
    path, values = _prepare(templates, name, language, brand, context)
    plain = _environment(templates, html=False).get_template(path)
    return " ".join("".join(plain.blocks["subject"](plain.new_context(values))).split())


def _prepare(
    templates: Path, name: str, language: str, brand: Brand | None, context: dict[str, Any]
) -> tuple[str, dict[str, Any]]:
    language = language if language in LANGUAGES else DEFAULT_LANGUAGE
    brand = brand or load_brand()
    values = {
        "language": language,
        "brand": brand,
        "provider": brand.name,
        "opening_hours": opening_hours(brand, language),
        "logo_url": None,
        **context,
    }
    return f"{name}.j2", values


def opening_hours(brand: Brand, language: str) -> str:
    """When the support lines answer: "lun.–ven. 08:00–20:00, sam. 09:00–17:00"."""
    return ", ".join(
        f"{formatting.weekdays(hours.days, language)} "
        f"{formatting.clock(hours.opens, language)}\u2013{formatting.clock(hours.closes, language)}"
        for hours in brand.support.hours
    )


def send(email: Email, *, sender: str) -> str:
    """Send through SES; returns the SES message id."""
    global _client
    message = EmailMessage()
    message["From"] = sender
    message["To"] = email.to
    message["Subject"] = email.subject
    if email.reply_to:
        message["Reply-To"] = email.reply_to
    message["Date"] = formatdate(usegmt=True)
    message["Message-ID"] = make_msgid(domain=sender.rpartition("@")[2] or None)
    message.set_content(email.text)
    message.add_alternative(email.html, subtype="html")
    for attachment in email.attachments:  # the message becomes multipart/mixed around the two parts
        maintype, _, subtype = attachment.content_type.partition("/")
        message.add_attachment(
            attachment.content, maintype=maintype, subtype=subtype, filename=attachment.filename
        )
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


def translations(templates: Path, language: str, brand: Brand) -> Any:
    """The messages of `templates` in `language`: the service's catalog, the layout's, then
    the brand's overrides (a babel `Translations`)."""
    key = (templates, language, brand.folder)
    with _lock:
        if key not in _translations:
            _translations[key] = _read_catalogs(templates, language, brand)
        return _translations[key]


def pgettext_noop(context: str, message: str) -> tuple[str, str]:
    """Marks `message` (English) for the catalogs, with `context` saying what it names; says
    nothing yet: `pgettext` does, in a language."""
    return context, message


def pgettext(
    templates: Path, language: str, context: str, message: str, *, brand: Brand | None = None
) -> str:
    """`message` of `context` in `language` (French if not one of LANGUAGES), as the catalogs of
    `templates` translate it."""
    language = language if language in LANGUAGES else DEFAULT_LANGUAGE
    return str(translations(templates, language, brand or load_brand()).upgettext(context, message))


def _read_catalogs(templates: Path, language: str, brand: Brand) -> Any:
    import io

    from babel.messages.catalog import Catalog
    from babel.messages.mofile import write_mo
    from babel.support import Translations

    merged = Catalog(locale=formatting.locale_of(language))
    for folder in (_SHARED_TEMPLATES, templates):
        for message in read(folder, language):
            if message.id and message.string and not message.fuzzy:
                merged[message.id] = message
    for source, wording in brand.texts.get(language, {}).items():  # type: ignore[call-overload]
        if source in merged:
            message = merged[source]
            message.string = wording if isinstance(message.id, str) else (wording,) * len(message.id)
        else:
            merged.add(source, wording)
    compiled = io.BytesIO()
    write_mo(compiled, merged)
    compiled.seek(0)
    return Translations(compiled)


def _gettext(templates: Path) -> Any:
    from jinja2 import pass_context

    @pass_context
    def gettext(context: Any, message: str) -> str:
        return str(translations(templates, context["language"], context["brand"]).ugettext(message))

    return gettext


def _ngettext(templates: Path) -> Any:
    from jinja2 import pass_context

    @pass_context
    def ngettext(context: Any, singular: str, plural: str, count: int) -> str:
        found = translations(templates, context["language"], context["brand"])
        return str(found.ungettext(singular, plural, count))

    return ngettext


def _strong(value: Any) -> Any:
    """A value to stand out in a sentence: bold in the HTML part, as is in the text part."""
    from markupsafe import Markup

    return Markup("<strong>%s</strong>") % value


def _environment(templates: Path, *, html: bool) -> Any:
    key = f"{templates}|{html}"
    with _lock:
        if key not in _environments:
            import jinja2

            environment = jinja2.Environment(
                loader=jinja2.ChoiceLoader(
                    [jinja2.FileSystemLoader(str(templates)), jinja2.FileSystemLoader(str(_SHARED_TEMPLATES))]
                ),
                autoescape=html,  # noqa: S701 (plain-text parts are not HTML; the HTML part escapes)
                undefined=jinja2.StrictUndefined,
                trim_blocks=True,
                lstrip_blocks=True,
                extensions=["jinja2.ext.i18n"],
            )
            environment.policies["ext.i18n.trimmed"] = True
            environment.install_gettext_callables(  # type: ignore[attr-defined]
                _gettext(templates), _ngettext(templates), newstyle=True
            )
            environment.filters["strong"] = _strong if html else (lambda value: value)
            _environments[key] = environment
        return _environments[key]
