"""The letterhead every PDF of the customer area shares: the invoices' and the subscriptions'.

`Document` is the base of a document's writer. It holds what both kinds of documents repeat:
- the provider's brand (`guichet_contracts.brand`): its logo and name top left, its colours in
  headings, tables and rules, its legal identity (company, legal form, share capital, RCS,
  VAT number, registered office) at the foot of every page, with the page number;
- fonts embedded: Bitstream Vera, shipped inside the reportlab package, under the `DocSans`
  names, also as the canvas's initial font (never Helvetica, which is not embedded); the
  narrow and thin spaces Babel puts in numbers ("1 234,56 €") are drawn with the no-break
  space's glyph and kept in the text (reportlab writes the no-break space itself as a space);
- PDF/A: an sRGB output intent with a small ICC profile built here (`srgb_icc`), and, for the
  documents that declare PDF/A-2B themselves, XMP metadata (uncompressed) saying what the
  document information dictionary says; no transparency (the logo is flattened on white);
- money, days, quantities and rates through `guichet_contracts.formatting` (Babel), country
  names from CLDR;
- the same bytes for the same input: reportlab's invariant mode, dated the day of issue;
- labels as data: each module's label table (a JSON file beside it, keyed by language), read by
  `load_labels`, which applies the brand's `texts` (`pdf.<table>.<label>`, see brand.py).

reportlab, Pillow and Babel are imported inside the functions that draw: the auth and
consumption services do not ship reportlab, and importing this module costs almost nothing.
"""

from __future__ import annotations

import copy
import datetime
import io
import json
import unicodedata
from decimal import Decimal, InvalidOperation
from functools import cache, lru_cache
from pathlib import Path
from typing import Any

from . import formatting
from .brand import Brand, load_brand, pdf_table

FONT = "DocSans"
FONT_BOLD = "DocSans-Bold"
FONT_OBLIQUE = "DocSans-Oblique"
FONT_BOLD_OBLIQUE = "DocSans-BoldOblique"
_FONT_FILES = {
    FONT: "Vera.ttf",
    FONT_BOLD: "VeraBd.ttf",
    FONT_OBLIQUE: "VeraIt.ttf",
    FONT_BOLD_OBLIQUE: "VeraBI.ttf",
}
# Spaces Babel writes (narrow no-break, thin, figure...) that Vera has no glyph for: drawn with
# the no-break space's glyph, and kept as they are in the text.
_SPACES = (0x2002, 0x2003, 0x2004, 0x2005, 0x2006, 0x2007, 0x2008, 0x2009, 0x200A, 0x202F)
_TRANSLITERATIONS = str.maketrans(
    {"ł": "l", "Ł": "L", "đ": "d", "Đ": "D", "ı": "i", "ħ": "h", "Ħ": "H", "ø": "o", "Ø": "O",
     "\u2011": "-", "\u2212": "-"}
)  # fmt: skip
DASH = "—"
PAGE_WIDTH = 595.2755905511812  # A4 in points, as reportlab.lib.pagesizes.A4
MARGIN = 18 * 72 / 25.4  # 18 mm
FRAME_PADDING = 6  # platypus frames keep 6 points inside the margins
_MM = 72 / 25.4
ICC_NAME = "sRGB IEC61966-2.1"
_LABELS_FILE = Path(__file__).with_name("letterhead.json")


def language_of(language: str | None) -> str:
    """fr, en or it from a language tag ("en-GB" → en); French for anything else."""
    code = (language or "").strip().lower()[:2]
    return code if code in formatting.LOCALES else formatting.DEFAULT_LANGUAGE


def load_labels(path: Path, language: str, brand: Brand) -> dict[str, Any]:
    """A module's labels in `language` (fr when unknown): its label table (one JSON file beside
    it, keyed by language, read once), worded as `brand` words them where its `texts` do, under
    `pdf.<table>.<path in the table>` (`brand.PDF_LABELS` names the tables)."""
    language = language_of(language)
    labels = copy.deepcopy(_load_labels(path.resolve())[language])
    prefix = f"pdf.{pdf_table(path)}."
    for key, wording in brand.texts.get(language, {}).items():  # type: ignore[call-overload]
        if not key.startswith(prefix):
            continue
        *parents, leaf = key.removeprefix(prefix).split(".")
        table: Any = labels
        for parent in parents:
            table = table.get(parent) if isinstance(table, dict) else None
        if isinstance(table, dict) and isinstance(table.get(leaf), str):  # a label, never a new key
            table[leaf] = wording
    return labels


@cache
def _load_labels(path: Path) -> dict[str, dict[str, Any]]:
    return dict(json.loads(path.read_text(encoding="utf-8")))


# Text the embedded fonts can draw.


def printable(value: Any) -> str:
    """Text Bitstream Vera can draw: Latin-1, œ, €, typographic quotes, dashes and spaces.

    Other letters lose their accent (Dvořák → Dvorak) rather than print as empty boxes; what has
    no Latin form becomes "?"; control characters become spaces.
    """
    text = "" if value is None else str(value)
    text = "".join(" " if unicodedata.category(char) in ("Cc", "Cs") else char for char in text)
    covered = font_coverage()
    if all(ord(char) in covered for char in text):
        return text
    return "".join(_drawable(char, covered) for char in text.translate(_TRANSLITERATIONS))


def _drawable(char: str, covered: frozenset[int]) -> str:
    if ord(char) in covered:
        return char
    base = "".join(part for part in unicodedata.normalize("NFKD", char) if not unicodedata.combining(part))
    if base and all(ord(part) in covered for part in base):
        return base
    return " " if unicodedata.category(char).startswith("Z") else "?"


@lru_cache(maxsize=1)
def font_coverage() -> frozenset[int]:
    """The characters all four faces draw (they cover the same set)."""
    from reportlab.pdfbase import pdfmetrics

    register_fonts()
    faces = [pdfmetrics.getFont(name).face.charToGlyph for name in _FONT_FILES]
    covered = set(faces[0])
    for face in faces[1:]:
        covered &= set(face)
    return frozenset(covered)


@lru_cache(maxsize=1)
def register_fonts() -> None:
    """Registers Bitstream Vera (inside the reportlab package) under the DocSans names."""
    import os

    import reportlab
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.ttfonts import TTFont

    folder = os.path.join(os.path.dirname(reportlab.__file__), "fonts")
    for name, filename in _FONT_FILES.items():
        font = TTFont(name, os.path.join(folder, filename))
        face = font.face
        for code in _SPACES:  # the same glyph and width, so the embedded widths stay consistent
            face.charToGlyph.setdefault(code, face.charToGlyph[0xA0])
            face.charWidths.setdefault(code, face.charWidths[0xA0])
        pdfmetrics.registerFont(font)
    pdfmetrics.registerFontFamily(
        FONT, normal=FONT, bold=FONT_BOLD, italic=FONT_OBLIQUE, boldItalic=FONT_BOLD_OBLIQUE
    )


# PDF/A: the output intent, the XMP metadata, the dates.


@lru_cache(maxsize=1)
def srgb_icc() -> bytes:
    """A minimal ICC v2 display profile of sRGB (IEC 61966-2.1): D50 colorants and the sRGB curve.

    Built here rather than shipped: 9 tags, about 2.3 kB, the same bytes on every run. PDF/A
    output intents accept ICC profiles up to version 4, and version 2 is what every validator
    and viewer reads.
    """
    import struct

    def s15(value: float) -> bytes:
        return struct.pack(">i", round(value * 65536))

    def xyz(x: float, y: float, z: float) -> bytes:
        return b"XYZ " + bytes(4) + s15(x) + s15(y) + s15(z)

    text = ICC_NAME.encode("ascii") + b"\0"
    # textDescriptionType: ASCII, then empty Unicode and ScriptCode descriptions.
    desc = b"desc" + bytes(4) + struct.pack(">I", len(text)) + text + bytes(4 + 4 + 2 + 1 + 67)
    cprt = b"text" + bytes(4) + b"No copyright, use freely\0"
    samples = []
    for i in range(1024):
        v = i / 1023
        linear = v / 12.92 if v <= 0.04045 else ((v + 0.055) / 1.055) ** 2.4
        samples.append(round(linear * 65535))
    curve = b"curv" + bytes(4) + struct.pack(">I", len(samples)) + struct.pack(f">{len(samples)}H", *samples)
    tags = [
        (b"desc", desc),
        (b"cprt", cprt),
        (b"wtpt", xyz(0.9642, 1.0, 0.8249)),
        (b"rXYZ", xyz(0.4361, 0.2225, 0.0139)),
        (b"gXYZ", xyz(0.3851, 0.7169, 0.0971)),
        (b"bXYZ", xyz(0.1431, 0.0606, 0.7141)),
        (b"rTRC", curve),
        (b"gTRC", curve),
        (b"bTRC", curve),
    ]
    offset = 128 + 4 + 12 * len(tags)
    table, data, placed = b"", b"", {}
    for signature, body in tags:
        if body not in placed:  # the three curves share one body
            placed[body] = offset + len(data)
            data += body + bytes(-len(body) % 4)
        table += signature + struct.pack(">II", placed[body], len(body))
    size = offset + len(data)
    header = (
        struct.pack(">I", size)
        + bytes(4)  # preferred CMM
        + bytes((2, 0x10, 0, 0))  # version 2.1
        + b"mntrRGB XYZ "
        + struct.pack(">6H", 2026, 1, 1, 0, 0, 0)
        + b"acsp"
        + bytes(4 + 4 + 4 + 4 + 8)  # platform, flags, manufacturer, model, attributes
        + struct.pack(">I", 0)  # perceptual
        + s15(0.9642)
        + s15(1.0)
        + s15(0.8249)
        + bytes(4)  # creator
    )
    header += bytes(128 - len(header))
    return header + struct.pack(">I", len(tags)) + table + data


def add_output_intent(canvas: Any) -> None:
    """Puts the sRGB output intent PDF/A wants in the document catalog.

    reportlab has no API for it: the catalog writes only the keys its class lists, so this
    catalog instance gets its own list with OutputIntents added.
    """
    from reportlab.pdfbase.pdfdoc import PDFArray, PDFDictionary, PDFName, PDFStream, PDFString

    document = canvas._doc
    catalog = document.Catalog
    if getattr(catalog, "OutputIntents", None) is not None:
        return
    profile = PDFStream(PDFDictionary({"N": 3}), srgb_icc())
    intent = PDFDictionary(
        {
            "Type": PDFName("OutputIntent"),
            "S": PDFName("GTS_PDFA1"),
            "OutputConditionIdentifier": PDFString(ICC_NAME),
            "Info": PDFString(ICC_NAME),
            "RegistryName": PDFString("http://www.color.org"),
            "DestOutputProfile": document.Reference(profile),
        }
    )
    catalog.OutputIntents = PDFArray([intent])
    catalog.__NoDefault__ = [*type(catalog).__NoDefault__, "OutputIntents"]


def pdf_date(day: datetime.date) -> str:
    return f"D:{day:%Y%m%d}000000+00'00'"


def xmp_date(day: datetime.date) -> str:
    return f"{day:%Y-%m-%d}T00:00:00+00:00"


def add_pdfa_metadata(canvas: Any, day: datetime.date, *, part: int = 2, conformance: str = "B") -> None:
    """The XMP metadata of a PDF/A document, uncompressed, saying what the document information
    dictionary reportlab writes says (title, author, subject, keywords, creator, producer, dates)."""
    from xml.sax.saxutils import escape

    from reportlab.pdfbase.pdfdoc import PDFDictionary, PDFName, PDFStream

    document = canvas._doc
    info = document.info
    date = xmp_date(day)

    def text(value: Any) -> str:
        return escape(str(value))

    packet = f"""<?xpacket begin="\ufeff" id="W5M0MpCehiHzreSzNTczkc9d"?>
<x:xmpmeta xmlns:x="adobe:ns:meta/">
 <rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">
  <rdf:Description rdf:about="" xmlns:pdfaid="http://www.aiim.org/pdfa/ns/id/">
   <pdfaid:part>{part}</pdfaid:part>
   <pdfaid:conformance>{conformance}</pdfaid:conformance>
  </rdf:Description>
  <rdf:Description rdf:about="" xmlns:dc="http://purl.org/dc/elements/1.1/">
   <dc:format>application/pdf</dc:format>
   <dc:title><rdf:Alt><rdf:li xml:lang="x-default">{text(info.title)}</rdf:li></rdf:Alt></dc:title>
   <dc:creator><rdf:Seq><rdf:li>{text(info.author)}</rdf:li></rdf:Seq></dc:creator>
   <dc:description><rdf:Alt><rdf:li xml:lang="x-default">{text(info.subject)}</rdf:li></rdf:Alt></dc:description>
  </rdf:Description>
  <rdf:Description rdf:about="" xmlns:pdf="http://ns.adobe.com/pdf/1.3/">
   <pdf:Producer>{text(info.producer)}</pdf:Producer>
   <pdf:Keywords>{text(info.keywords)}</pdf:Keywords>
   <pdf:Trapped>{text(info.trapped)}</pdf:Trapped>
  </rdf:Description>
  <rdf:Description rdf:about="" xmlns:xmp="http://ns.adobe.com/xap/1.0/">
   <xmp:CreatorTool>{text(info.creator)}</xmp:CreatorTool>
   <xmp:CreateDate>{date}</xmp:CreateDate>
   <xmp:ModifyDate>{date}</xmp:ModifyDate>
  </rdf:Description>
 </rdf:RDF>
</x:xmpmeta>
<?xpacket end="w"?>"""  # noqa: E501

    class Plain(PDFStream):  # type: ignore[misc]
        """A stream written without the document's compression: PDF/A wants the XMP readable."""

        def format(self, document: Any) -> bytes:
            compression, document.defaultStreamFilters = document.defaultStreamFilters, None
            try:
                return bytes(super().format(document))
            finally:
                document.defaultStreamFilters = compression

    header = PDFDictionary({"Type": PDFName("Metadata"), "Subtype": PDFName("XML")})
    document.Catalog.Metadata = Plain(header, packet.encode("utf-8"))


# Colours, styles, the logo.


def _colour(value: str) -> Any:
    from reportlab.lib import colors

    return colors.HexColor(value)


@lru_cache(maxsize=8)
def _styles(palette: tuple[tuple[str, str], ...], size: float) -> dict[str, Any]:
    """The paragraph styles of a document whose body text is `size` points, in the brand's colours."""
    from reportlab.lib.enums import TA_JUSTIFY
    from reportlab.lib.styles import ParagraphStyle

    colour = {role: _colour(value) for role, value in palette}
    ink, accent, muted = colour["text"], colour["primary"], colour["muted"]
    body = ParagraphStyle(
        "body", fontName=FONT, fontSize=size, leading=round(size * 1.38, 1), textColor=ink, spaceAfter=3
    )
    small = size - 1

    def style(name: str, **changes: Any) -> Any:
        return ParagraphStyle(name, parent=body, **changes)

    return {
        "body": body,
        "justified": style("justified", alignment=TA_JUSTIFY),
        "provider": style(
            "provider", fontName=FONT_BOLD, fontSize=size + 7, leading=size + 11, textColor=accent
        ),
        "title": style("title", fontName=FONT_BOLD, fontSize=size + 5, leading=size + 9),
        "duplicate": style("duplicate", fontName=FONT_BOLD, textColor=colour["danger"]),
        "strong": style("strong", fontName=FONT_BOLD),
        "heading": style(
            "heading",
            fontName=FONT_BOLD,
            fontSize=size + 1,
            leading=size + 4,
            textColor=accent,
            spaceBefore=6,
            spaceAfter=3,
            keepWithNext=1,
        ),
        "article": style("article", fontName=FONT_BOLD, spaceBefore=5, spaceAfter=2, keepWithNext=1),
        "label": style("label", fontSize=small, leading=small + 2.5, textColor=muted, spaceAfter=1),
        "value": style("value", fontSize=size - 0.5, leading=size + 2, spaceAfter=0),
        "key": style("key", fontName=FONT_BOLD, fontSize=size - 0.5, leading=size + 2, spaceAfter=0),
        "address": style("address", fontSize=size + 0.5, leading=size + 4),
        "small": style("small", fontSize=small, leading=small + 2.5, textColor=muted),
        "th": style(
            "th",
            fontName=FONT_BOLD,
            fontSize=small,
            leading=small + 2,
            textColor=colour["on_primary"],
            spaceAfter=0,
        ),
        "td": style("td", fontSize=size - 0.5, leading=size + 2, spaceAfter=0),
        "total": style("total", fontName=FONT_BOLD, fontSize=size + 0.5, leading=size + 3, spaceAfter=0),
        "note": style(
            "note", fontName=FONT_OBLIQUE, fontSize=small, leading=small + 2.5, textColor=muted, spaceBefore=3
        ),
        "legal": style("legal", fontSize=size - 2, leading=size, textColor=muted, spaceAfter=1.5),
        "signature": style("signature", fontName=FONT_BOLD, spaceBefore=2),
    }


@lru_cache(maxsize=4)
def _logo(path: Path) -> tuple[bytes, float]:
    """The logo flattened on white as a PNG (no transparency in PDF/A), and its width over height."""
    from PIL import Image

    with Image.open(path) as image:
        rgba = image.convert("RGBA")
    flat = Image.new("RGB", rgba.size, (255, 255, 255))
    flat.paste(rgba, mask=rgba.getchannel("A"))
    png = io.BytesIO()
    flat.save(png, format="PNG")
    return png.getvalue(), rgba.width / rgba.height


def legal_party(brand: Brand) -> dict[str, Any]:
    """The provider as a party to an invoice (name, address, VAT number, SIREN), from its brand."""
    legal = brand.legal
    return {
        "name": legal.company,
        "address": legal.address.model_dump(),
        "vat_number": legal.vat_number,
        "siren": legal.siren,
    }


# The document.


class Document:
    """The base of a document's writer: the letterhead, the footer, formatting and flowables.

    A subclass sets `title`, says what its pages' footer and running head read (`footer_text`,
    `running_head`), its PDF metadata (`metadata`), and lays out its story; `build` does the rest.
    """

    body_size = 9.0
    pdfa_part: int | None = 2  # the PDF/A part this class declares in its XMP; None: someone else does
    title = ""
    currency = "EUR"

    def __init__(self, *, language: str, issued_on: datetime.date, brand: Brand | None = None) -> None:
        register_fonts()
        self.brand = brand or load_brand()
        self.language = language_of(language)
        self.issued_on = issued_on
        self.colour = {role: _colour(value) for role, value in self.brand.colours}
        self.styles = _styles(tuple(self.brand.colours), self.body_size)
        self.width = PAGE_WIDTH - 2 * MARGIN - 2 * FRAME_PADDING
        self.letterhead_text = load_labels(_LABELS_FILE, self.language, self.brand)

    # What a subclass says.

    def footer_text(self) -> str:
        return f"{self.provider} — {self.title}"

    def running_head(self) -> str:
        return ""

    def metadata(self) -> dict[str, str]:
        return {"title": self.title, "author": self.company, "subject": self.title}

    def stamp(self, canvas: Any, doc: Any) -> None:
        """Drawn under each page's content (a duplicate's stamp): nothing by default."""

    # The provider.

    @property
    def provider(self) -> str:
        """The provider's name as its customers know it (the brand's name)."""
        return printable(self.brand.name)

    @property
    def company(self) -> str:
        """The provider's legal name, the party to contracts and the seller on invoices."""
        return printable(self.brand.legal.company)

    def provider_address(self) -> list[str]:
        return self.address_lines(self.brand.legal.address.model_dump())

    def legal_identity(self) -> list[str]:
        """The foot of every page: who the provider is in law, and where."""
        legal = self.brand.legal
        text = self.letterhead_text
        first = [
            legal.company,
            text["capital"].format(form=legal.legal_form, capital=legal.share_capital),
            legal.rcs,
            text["vat"].format(vat=legal.vat_number),
        ]
        second = [", ".join(self.provider_address()), legal.website.removeprefix("https://")]
        return [printable(" — ".join(first)), printable(" — ".join(second))]

    # Values, already printable (not yet escaped).

    def value(self, raw: Any) -> str:
        return printable(raw).strip() or DASH

    def date(self, value: Any) -> str:
        """A day as the language writes it ("6 décembre 2026"); a dash when there is none."""
        if value is None or value == "":
            return DASH
        try:
            return printable(formatting.day(value, self.language))
        except (TypeError, ValueError):
            return printable(value)

    def money(self, cents: int, currency: str | None = None) -> str:
        """An amount in cents, in `currency` or the document's ("1 234,56 €")."""
        return printable(formatting.money(int(cents), currency or self.currency, self.language))

    def amount(self, value: Decimal, currency: str | None = None) -> str:
        """A unit price, with up to 4 decimals ("0,1952 €")."""
        return printable(formatting.amount(value, currency or self.currency, self.language, digits=4))

    def quantity(self, value: Any, *, digits: int = 4) -> str:
        """A number as the language writes it; what is no number prints as given."""
        try:
            number = Decimal(str(value).strip())
        except (InvalidOperation, ValueError):
            return self.value(value)
        if not number.is_finite():
            return self.value(value)
        return printable(formatting.quantity(number, self.language, digits=digits))

    def percent(self, rate: Any) -> str:
        return printable(formatting.percent(rate, self.language))

    def country(self, code: str) -> str:
        """A country's name in the document's language (CLDR); an unknown code as given."""
        from babel.core import Locale

        territories = Locale.parse(formatting.locale_of(self.language)).territories
        return str(territories.get(code.upper(), code)) if len(code) == 2 else code

    def address_lines(self, address: dict[str, Any] | None) -> list[str]:
        address = address or {}
        city = " ".join(printable(address.get(key)).strip() for key in ("postal_code", "city")).strip()
        country = str(address.get("country") or "").strip()
        lines = [address.get("line1"), address.get("line2"), city, self.country(country) if country else ""]
        return [printable(line).strip() for line in lines if line and printable(line).strip()]

    # Flowables.

    def paragraph(self, text: str, style: str = "body") -> Any:
        """A paragraph of plain text: data may hold <, > or &, shown as they are."""
        from xml.sax.saxutils import escape

        from reportlab.platypus import Paragraph

        return Paragraph(escape(text), self.styles[style])

    def lines_paragraph(self, lines: list[tuple[str, str]], style: str = "body") -> Any:
        """One paragraph of several lines, each (text, "b" for bold or "" for normal)."""
        from xml.sax.saxutils import escape

        from reportlab.platypus import Paragraph

        markup = "<br/>".join(
            f"<b>{escape(text)}</b>" if weight == "b" else escape(text) for text, weight in lines
        )
        return Paragraph(markup, self.styles[style])

    def heading(self, text: str) -> Any:
        return self.paragraph(text, "heading")

    def cell(self, text: str, style: str, width: float) -> Any:
        """A table cell: the plain string when it fits on one line, else a wrapping paragraph.

        A plain string is drawn as is (no markup, so no escaping) and costs a tenth of a
        Paragraph, which matters with some forty cells per document.
        """
        from reportlab.pdfbase.pdfmetrics import stringWidth

        font = self.styles[style]
        if "\n" not in text and stringWidth(text, font.fontName, font.fontSize) <= width:
            return text
        return self.paragraph(text, style)

    def cell_fonts(self, style: str, start: tuple[int, int], stop: tuple[int, int]) -> list[tuple[Any, ...]]:
        """Table style commands that draw plain string cells like the paragraph style."""
        font = self.styles[style]
        return [
            ("FONTNAME", start, stop, font.fontName),
            ("FONTSIZE", start, stop, font.fontSize),
            ("LEADING", start, stop, font.leading),
            ("TEXTCOLOR", start, stop, font.textColor),
        ]

    def table_style(self, commands: list[tuple[Any, ...]]) -> Any:
        """A TableStyle whose cells all default to the embedded font: a table sets its cells' font
        even for cells holding flowables, and reportlab's default is Helvetica (never embedded)."""
        from reportlab.platypus import TableStyle

        return TableStyle([("FONTNAME", (0, 0), (-1, -1), FONT), *commands])

    def reference_box(self, rows: list[tuple[str, str]], *, keys: int, label_width: float) -> Any:
        """The box top right: labels and values, the first `keys` values in bold."""
        from reportlab.platypus import Table

        value_width = 74 * _MM - label_width
        box = Table(
            [
                [
                    self.cell(label, "label", label_width - 12),
                    self.cell(value, "key" if i < keys else "value", value_width - 12),
                ]
                for i, (label, value) in enumerate(rows)
            ],
            colWidths=[label_width, value_width],
            hAlign="RIGHT",
        )
        box.setStyle(
            self.table_style(
                [
                    *self.cell_fonts("label", (0, 0), (0, -1)),
                    *self.cell_fonts("value", (1, 0), (1, -1)),
                    *self.cell_fonts("key", (1, 0), (1, keys - 1)),
                    ("BACKGROUND", (0, 0), (-1, -1), self.colour["background"]),
                    ("BOX", (0, 0), (-1, -1), 0.5, self.colour["border"]),
                    ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
                    ("TOPPADDING", (0, 0), (-1, -1), 2.5),
                    ("BOTTOMPADDING", (0, 0), (-1, -1), 2.5),
                ]
            )
        )
        return box

    def letterhead(self, below: list[Any], box: Any) -> list[Any]:
        """The top of the first page: the logo and the provider's name, then `below`, on the left;
        `box` (the references) on the right."""
        from reportlab.platypus import Image, Spacer, Table

        png, ratio = _logo(self.brand.logo_path("png"))
        height = 12 * _MM
        logo = Image(io.BytesIO(png), width=height * ratio, height=height, hAlign="LEFT")
        name = Table(
            [[logo, self.paragraph(self.provider, "provider")]], colWidths=[height * ratio + 3 * _MM, None]
        )
        name.setStyle(self.table_style(self.flat_cells("MIDDLE")))
        header = Table([[[name, *below], box]], colWidths=[self.width - 74 * _MM, 74 * _MM])
        header.setStyle(self.table_style([*self.flat_cells("TOP"), ("ALIGN", (1, 0), (1, 0), "RIGHT")]))
        return [header, Spacer(1, 5 * _MM)]

    def flat_cells(self, align: str) -> list[tuple[Any, ...]]:
        """Style commands of a layout table: no padding on the sides, cells aligned `align`."""
        return [
            ("VALIGN", (0, 0), (-1, -1), align),
            ("LEFTPADDING", (0, 0), (-1, -1), 0),
            ("RIGHTPADDING", (0, 0), (-1, -1), 0),
        ]

    # Pages.

    def decorate_page(self, canvas: Any, doc: Any) -> None:
        """Called before each page's content: the stamp, the footer, the running head."""
        width, height = doc.pagesize
        if doc.page == 1:  # dated the day it is issued, not the fixed date of invariant mode
            canvas.setDateFormatter(lambda *_: pdf_date(self.issued_on))
            add_output_intent(canvas)
            if self.pdfa_part:
                add_pdfa_metadata(canvas, self.issued_on, part=self.pdfa_part)
        canvas.saveState()
        self.stamp(canvas, doc)
        left = doc.leftMargin + FRAME_PADDING
        right = width - doc.rightMargin - FRAME_PADDING
        canvas.setStrokeColor(self.colour["primary"])
        canvas.setLineWidth(0.75)
        canvas.line(left, 15.5 * _MM, right, 15.5 * _MM)
        canvas.setFont(FONT, 7.5)
        canvas.setFillColor(self.colour["muted"])
        canvas.drawString(left, 12 * _MM, self.footer_text())
        canvas.drawRightString(right, 12 * _MM, self.letterhead_text["page"].format(n=doc.page))
        canvas.setFont(FONT, 6.5)
        for row, line in enumerate(self.legal_identity()):
            canvas.drawString(left, (8.5 - 3 * row) * _MM, line)
        if doc.page > 1 and self.running_head():  # who and what, top right on every later page
            canvas.setFont(FONT, 7.5)
            canvas.drawRightString(right, height - 10 * _MM, self.running_head())
        canvas.restoreState()

    def build(self, story: list[Any]) -> bytes:
        from reportlab.lib.pagesizes import A4
        from reportlab.platypus import SimpleDocTemplate

        meta = self.metadata()
        buffer = io.BytesIO()
        document = SimpleDocTemplate(
            buffer,
            pagesize=A4,
            leftMargin=MARGIN,
            rightMargin=MARGIN,
            topMargin=16 * _MM,
            bottomMargin=20 * _MM,
            title=meta["title"],
            author=meta["author"],
            subject=meta["subject"],
            keywords=meta.get("keywords", ""),
            creator=self.provider,
            lang=self.language,
            displayDocTitle=1,
            initialFontName=FONT,  # never Helvetica, which PDF/A cannot use (not embedded)
            invariant=1,  # no clock time nor random id: the same input gives the same bytes
        )
        document.build(story, onFirstPage=self.decorate_page, onLaterPages=self.decorate_page)
        return buffer.getvalue()
