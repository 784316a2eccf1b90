"""The invoice PDF: an A4 document a person reads, carrying the Factur-X XML a machine reads.

`render` lays the invoice out with reportlab (platypus) in French, English or Italian on the
provider's letterhead (`guichet_contracts.letterhead`: logo, colours, legal identity, embedded
fonts, sRGB output intent), then `facturx.generate_from_binary` embeds the EN 16931 XML of
`cii.cii_xml` as factur-x.xml and declares the file PDF/A-3. `blank_page` is a one-page empty
PDF from the same library, the baseline of the rendering benchmark.

The seller is the provider: its legal identity (company, address, SIREN, VAT number) comes from
the brand, what is operational (the IBAN transfers are paid to, the billing address e-mail)
from the service's settings; the printed page and the XML read the same merged party. The
labels are data (invoice_pdf.json beside this module, which the brand's `texts` reword as
`pdf.invoice.<label>`); money, days, quantities and rates are
written by `guichet_contracts.formatting`.

PDF/A-3 asks more of the reportlab document than factur-x adds: the letterhead embeds every
font and adds the output intent; no transparency (the DUPLICATA stamp is a light colour drawn
under the page's content); the XMP metadata left uncompressed, and the document information
dictionary matching it (`_finish_pdfa`, one pypdf pass over factur-x's output).

Deterministic output: reportlab runs in invariant mode with its dates set to the issue date,
and the timestamps factur-x takes from the clock (document info, XMP, the attachment's ModDate)
are set to the issue date at midnight UTC. The same input gives the same bytes.

Not checked here: conformance as veraPDF would judge it (no validator is installed); the
structure above is what its PDF/A-3B rules look at, and the tests check each piece of it.

reportlab (~150 ms), factur-x (with lxml, pypdf and requests) and xml.sax.saxutils are imported
inside the functions that draw: importing this module costs almost nothing at cold start.
Neither settings nor AWS code is imported here.
"""

from __future__ import annotations

import datetime
import io
import re
from decimal import Decimal
from pathlib import Path
from typing import Any

from guichet_contracts.brand import Brand, load_brand
from guichet_contracts.letterhead import (
    DASH,
    FONT_BOLD,
    Document,
    legal_party,
    load_labels,
    printable,
)
from guichet_contracts.pricing import cents

from . import cii, vat

_LABELS_FILE = Path(__file__).with_name("invoice_pdf.json")
_MM = 72 / 25.4


def render(
    invoice: dict[str, Any],
    lines: list[dict[str, Any]],
    seller: dict[str, Any],
    buyer: dict[str, Any],
    *,
    language: str,
    duplicate: bool = False,
    brand: Brand | None = None,
) -> bytes:
    """The invoice as a Factur-X (EN 16931) PDF/A-3: the readable pages with factur-x.xml inside.

    `seller` holds what the provider's settings say (`iban`, `email`); its legal identity comes
    from `brand` (the configured one by default). `buyer` is the customer; for a surplus resale
    the document shows the customer as the seller (self-billing). `language` is fr, en or it (fr
    for anything else). `duplicate` stamps DUPLICATA / DUPLICATE / DUPLICATO across every page
    and says so in the header; the embedded XML is the same as the original's.

    Raises cii.InvoiceDataError (a ValueError) for missing data or totals that do not add up.
    """
    from facturx import generate_from_binary

    brand = brand or load_brand()
    party = {**seller, **legal_party(brand)}
    xml = cii.cii_xml(invoice, lines, party, buyer)  # checks the data and the totals first
    writer = _Writer(invoice, lines, party, buyer, language=language, duplicate=duplicate, brand=brand)
    pdf = writer.build(writer.story())
    result = generate_from_binary(
        pdf,
        xml,
        flavor="factur-x",
        level="en16931",
        check_xsd=True,
        pdf_metadata=writer.metadata(),
        lang=writer.language,
        xmp_compression=False,  # PDF/A wants the XMP readable; and its dates are fixed below
    )
    return _finish_pdfa(result, writer.issued_on)


def blank_page() -> bytes:
    """A one-page empty A4 PDF made by reportlab, as `render` makes its pages (the baseline)."""
    from reportlab.lib.pagesizes import A4
    from reportlab.pdfgen.canvas import Canvas

    buffer = io.BytesIO()
    canvas = Canvas(buffer, pagesize=A4, invariant=1)
    canvas.showPage()
    canvas.save()
    return buffer.getvalue()


def format_iban(iban: str) -> str:
    """FR7630006000011234567890189 → FR76 3000 6000 0112 3456 7890 189."""
    compact = re.sub(r"\s+", "", iban or "").upper()
    return " ".join(compact[i : i + 4] for i in range(0, len(compact), 4))


def mask_iban(iban: str) -> str:
    """The customer's own IBAN on a document: the country, check digits and last 4 characters."""
    compact = re.sub(r"\s+", "", iban or "").upper()
    if len(compact) < 8:
        return "****"
    return f"{compact[:4]} **** **** {compact[-4:]}"


def title(kind: str, language: str, brand: Brand | None = None) -> str:
    """The document's title for an invoice kind in a language (fr when unknown), as `brand` (the
    configured one by default) words it."""
    titles = _labels(language, brand or load_brand())["titles"]
    return str(titles.get(kind, titles["invoice"]))


def _labels(language: str, brand: Brand) -> dict[str, Any]:
    """The labels of a language (fr when unknown): titles, texts, units, the duplicate's stamp,
    worded as the brand words them (`pdf.invoice.<path>` in its `texts`)."""
    return load_labels(_LABELS_FILE, language, brand)


# PDF/A: the timestamps and the metadata factur-x wrote.


def _finish_pdfa(pdf: bytes, day: datetime.date) -> bytes:
    """The factur-x output, rewritten once by pypdf into a clean PDF/A-3 file.

    - factur-x writes its result after the input PDF in the same temporary file, so its output
      starts with the whole reportlab document, unreferenced: cloning keeps only what the
      document uses (half the bytes);
    - the document information dictionary must say what the XMP says (PDF/A): reportlab's
      Producer, Keywords and Trapped have no XMP counterpart and are replaced or dropped;
    - the clock times factur-x writes (document info, XMP, the attachment's ModDate) become the
      issue date at midnight UTC, so that the same invoice always gives the same bytes.
    """
    from pypdf import PdfWriter
    from pypdf.generic import DictionaryObject, NameObject, TextStringObject

    pdf_date = f"D:{day:%Y%m%d}000000+00'00'"
    xmp_date = f"{day:%Y-%m-%d}T00:00:00+00:00".encode("ascii")
    writer = PdfWriter(clone_from=io.BytesIO(pdf))
    writer.pdf_header = b"%PDF-1.7"  # PDF/A-3 is based on PDF 1.7
    root: Any = writer.root_object  # pypdf's objects are typed loosely: navigate untyped
    xmp: bytes = root["/Metadata"].get_object().get_data()
    producer = _XMP_PRODUCER.search(xmp)
    info: dict[str, Any] = dict(writer.metadata or {})
    writer.metadata = {
        **{key: str(info[key]) for key in ("/Title", "/Author", "/Subject", "/Creator") if key in info},
        **({"/Producer": producer.group(1).decode("utf-8")} if producer else {}),
        "/CreationDate": pdf_date,
        "/ModDate": pdf_date,
    }
    writer.xmp_metadata = _XMP_DATE.sub(lambda match: match.group(1) + xmp_date + match.group(2), xmp)
    names = root["/Names"]["/EmbeddedFiles"]["/Names"]
    for filespec in names[1::2]:
        embedded = filespec.get_object()["/EF"]["/F"].get_object()
        params = embedded.get("/Params") or DictionaryObject()
        params[NameObject("/ModDate")] = TextStringObject(pdf_date)
        embedded[NameObject("/Params")] = params
    buffer = io.BytesIO()
    writer.write(buffer)
    return buffer.getvalue()


_XMP_DATE = re.compile(rb"(<xmp:(?:CreateDate|ModifyDate)>)[^<]*(</xmp:)")
_XMP_PRODUCER = re.compile(rb"<pdf:Producer>([^<]*)</pdf:Producer>")


# The document.


class _Writer(Document):
    """Lays out one invoice: header, parties, lines, VAT, totals, payment, legal mentions."""

    pdfa_part = None  # factur-x declares the file PDF/A-3 in the XMP it writes

    def __init__(
        self,
        invoice: dict[str, Any],
        lines: list[dict[str, Any]],
        seller: dict[str, Any],
        buyer: dict[str, Any],
        *,
        language: str,
        duplicate: bool,
        brand: Brand,
    ) -> None:
        super().__init__(
            language=language,
            issued_on=datetime.date.fromisoformat(str(invoice["issued_on"])[:10]),
            brand=brand,
        )
        self.invoice = invoice
        self.lines = lines
        self.seller = seller
        self.buyer = buyer
        self.duplicate = duplicate
        self.kind = invoice.get("kind") or "invoice"
        self.labels = _labels(self.language, self.brand)
        self.text = self.labels["labels"]
        self.title = title(self.kind, self.language, self.brand)
        self.currency = (str(invoice.get("currency") or "EUR")).upper()
        self.breakdown = cii.checked_breakdown(invoice, lines)
        self.credits = [credit for credit in invoice.get("credits") or [] if credit.get("cents")]
        self.tip_slip = invoice.get("tip_slip")

    # Values, already printable (not yet escaped).

    @property
    def customer_name(self) -> str:
        return self.value(self.buyer.get("name"))

    @property
    def customer_id(self) -> str:
        return self.value(self.invoice.get("customer_id") or self.buyer.get("customer_id"))

    @property
    def number(self) -> str:
        return self.value(self.invoice.get("number"))

    @property
    def stamp_text(self) -> str:
        return str(self.labels["duplicate_stamp"])

    def party_address(self, party: dict[str, Any]) -> list[str]:
        return self.address_lines(party.get("address"))

    def metadata(self) -> dict[str, str]:
        """Title, author and subject of the PDF (document info and XMP alike)."""
        return {
            "title": f"{self.title} {self.number}",
            "author": self.company,
            "subject": f"{self.title} {self.number} — {self.customer_id}",
        }

    def footer_text(self) -> str:
        footer = f"{self.provider} — {self.title} {self.number}"
        return f"{footer} — {self.stamp_text}" if self.duplicate else footer

    def running_head(self) -> str:
        return f"{self.text['customer_id']}{self.text['colon']} {self.customer_id} — {self.number}"

    # Flowables.

    def header(self) -> list[Any]:
        """The letterhead, with the seller's address; the customer id, number and dates top right."""
        number_label = self.text["number_credit_note" if self.kind == "credit_note" else "number"]
        rows = [
            (self.text["customer_id"], self.customer_id),
            (number_label, self.number),
            (self.text["issued_on"], self.date(self.invoice.get("issued_on"))),
            (self.text["due_on"], self.date(self.invoice.get("due_on"))),
        ]
        provider_lines = [(line, "") for line in self.party_address(self.seller)]
        if self.seller.get("email"):
            provider_lines.append((printable(self.seller["email"]).strip(), ""))
        box = self.reference_box(rows, keys=2, label_width=32 * _MM)
        return self.letterhead([self.lines_paragraph(provider_lines, "small")], box)

    def parties(self) -> list[Any]:
        """The title and the billing address; for a resale, seller and buyer side by side."""
        from reportlab.platypus import Spacer, Table

        heading = [self.paragraph(self.title, "title")]
        if self.duplicate:
            note = self.text["duplicate_note"].format(date=self.date(self.invoice.get("issued_on")))
            heading.append(self.paragraph(note, "duplicate"))
        credited = printable(self.invoice.get("credited_invoice_number")).strip()
        if self.kind == "credit_note" and credited:
            heading.append(self.paragraph(self.text["credit_for"].format(number=credited), "strong"))
        period = self.period_text()
        if period:
            heading.append(self.paragraph(period, "body"))
        if self.invoice.get("order_id") and self.kind != "resale":
            order = self.text["order"].format(order=self.value(self.invoice["order_id"]))
            heading.append(self.paragraph(order, "small"))

        half = self.width / 2
        if self.kind == "resale":
            customer = self.party_block(self.text["resale_seller"], self.buyer, with_id=True)
            provider = self.party_block(self.text["resale_buyer"], self.seller, with_id=False)
            self_billing = self.text["self_billing"].format(
                provider=self.company, customer=self.customer_name
            )
            story = [*heading, Spacer(1, 3 * _MM)]
            table = Table([[customer, provider]], colWidths=[half, half])
            table.setStyle(self.block_style())
            return [*story, table, self.paragraph(self_billing, "note"), Spacer(1, 2 * _MM)]
        address = self.party_block(self.text["billing_address"], self.buyer, with_id=False)
        table = Table([[heading, address]], colWidths=[self.width * 0.58, self.width * 0.42])
        table.setStyle(self.block_style())
        return [table, Spacer(1, 4 * _MM)]

    def block_style(self) -> Any:
        return self.table_style([*self.flat_cells("TOP"), ("RIGHTPADDING", (0, 0), (-1, -1), 6)])

    def party_block(self, label: str, party: dict[str, Any], *, with_id: bool) -> list[Any]:
        lines = [(self.value(party.get("name")), "b")]
        contact = printable(party.get("contact")).strip()  # the person, when the name is a company
        if contact and contact != lines[0][0]:
            lines.append((contact, ""))
        lines += [(line, "") for line in self.party_address(party)]
        vat_number = printable(party.get("vat_number")).strip()
        siren = printable(party.get("siren")).strip()
        if siren and party is self.buyer:
            lines.append((self.text["buyer_siren"].format(siren=siren), ""))
        if vat_number and party is self.buyer:
            lines.append((self.text["buyer_vat"].format(vat=vat_number), ""))
        if party is self.seller and self.kind == "resale":
            ids = " — ".join(part for part in (f"SIREN {siren}" if siren else "", vat_number) if part)
            if ids:
                lines.append((ids, ""))
        return [self.paragraph(label, "label"), self.lines_paragraph(lines, "address")]

    def period_text(self) -> str:
        start, end = self.invoice.get("period_start"), self.invoice.get("period_end")
        if start and end:
            return self.text["period"].format(start=self.date(start), end=self.date(end))
        if start:
            return self.text["period_from"].format(start=self.date(start))
        if end:
            return self.text["period_until"].format(end=self.date(end))
        return ""

    def lines_table(self) -> Any:
        from reportlab.platypus import Table

        widths = [0.0, 17 * _MM, 15 * _MM, 22 * _MM, 15 * _MM, 24 * _MM]
        widths[0] = self.width - sum(widths)
        header = [
            self.text["col_description"],
            self.text["col_quantity"],
            self.text["col_unit"],
            self.text["col_unit_price"],
            self.text["col_rate"],
            self.text["col_total"],
        ]
        data: list[list[Any]] = [
            [self.cell(text, "th", width - 8) for text, width in zip(header, widths, strict=True)]
        ]
        units = self.labels["units"]
        for line in self.lines:
            unit = str(line.get("unit") or "")
            row = [
                self.value(line.get("description")),
                self.quantity(line.get("quantity")),
                units.get(unit.lower(), self.value(unit)),
                self.unit_price(line, unit),
                self.percent(cii.parse_rate(line["tax_rate"])),
                self.money(line["total_excl_tax_cents"]),
            ]
            data.append([self.cell(text, "td", width - 8) for text, width in zip(row, widths, strict=True)])
        table = Table(data, colWidths=widths, repeatRows=1, splitInRow=1)
        table.setStyle(
            self.table_style(
                [
                    *self.cell_fonts("th", (0, 0), (-1, 0)),
                    *self.cell_fonts("td", (0, 1), (-1, -1)),
                    ("BACKGROUND", (0, 0), (-1, 0), self.colour["primary"]),
                    ("ALIGN", (1, 0), (-1, -1), "RIGHT"),
                    ("ALIGN", (2, 0), (2, -1), "LEFT"),
                    ("VALIGN", (0, 0), (-1, -1), "TOP"),
                    ("LINEBELOW", (0, 1), (-1, -1), 0.25, self.colour["border"]),
                    ("TOPPADDING", (0, 0), (-1, -1), 3),
                    ("BOTTOMPADDING", (0, 0), (-1, -1), 3),
                ]
            )
        )
        return table

    def unit_price(self, line: dict[str, Any], unit: str) -> str:
        """A line's unit price: a price per kWh with up to 4 decimals as it is given ("0,1952 €"),
        any other with 2, like every amount (the XML keeps the exact price)."""
        price = cii.unit_price(line)
        if unit.lower() == "kwh":
            return self.amount(price)
        return self.money(cents(price * 100))

    # The energy section: what an electricity bill states (energy_contracts.py), in its own block.

    @property
    def energy(self) -> dict[str, Any] | None:
        return self.invoice.get("energy") or None

    def energy_text(self, key: str, **values: Any) -> str:
        return str(self.labels["energy"][key]).format(**values)

    def known(self, value: Any) -> str:
        """A value of the statement as printed, a dash when it is not known."""
        return self.value(value) if value else DASH

    def per_kwh(self, cents: Any) -> str:
        """A rate in cents per kWh as a price per kWh, up to 4 decimals ("0,1952 €/kWh")."""
        return self.energy_text("per_kwh", price=self.amount(Decimal(str(cents)) / 100))

    def energy_contract(self) -> list[Any]:
        """The contract (PDL, offer, power, option) and the month's kWh, marked actual or estimated,
        with their rates, under the billing period."""
        energy = self.energy
        if energy is None:
            return []
        from reportlab.platypus import Spacer, Table

        power = energy.get("subscribed_power_kva")
        rows = [
            (self.energy_text("pdl"), self.known(energy.get("pdl"))),
            (self.energy_text("offer"), self.known(energy.get("offer_name"))),
            (self.energy_text("contract"), self.known(energy.get("contract_number"))),
            (self.energy_text("power"), self.energy_text("kva", power=power) if power else DASH),
            (self.energy_text("option"), self.energy_text(f"option_{energy.get('tariff_option') or 'base'}")),
            (
                self.energy_text("period"),
                self.energy_text(
                    "period_value",
                    start=self.date(energy["period_start"]),
                    end=self.date(energy["period_end"]),
                ),
            ),
            (
                self.energy_text("readings"),
                self.energy_text("estimated" if energy.get("estimated") else "actual"),
            ),
        ]
        rates = energy.get("rates_cents_per_kwh") or {}
        for name, kwh in (energy.get("kwh") or {}).items():
            consumed = self.energy_text("kwh", kwh=self.quantity(kwh, digits=3))
            rate = self.per_kwh(rates[name]) if name in rates else DASH
            rows.append((self.energy_text(f"consumed_{name}"), f"{consumed} × {rate}"))
        if energy.get("battery_restored_kwh"):
            restored = self.energy_text("kwh", kwh=self.quantity(energy["battery_restored_kwh"], digits=3))
            rows.append((self.energy_text("battery_restored"), restored))
        widths = [60 * _MM, self.width - 60 * _MM]
        table = Table(
            [
                [self.cell(label, "label", widths[0] - 8), self.cell(value, "td", widths[1] - 8)]
                for label, value in rows
            ],
            colWidths=widths,
            hAlign="LEFT",
        )
        table.setStyle(
            self.table_style(
                [
                    *self.cell_fonts("label", (0, 0), (0, -1)),
                    *self.cell_fonts("td", (1, 0), (1, -1)),
                    ("VALIGN", (0, 0), (-1, -1), "TOP"),
                    ("LEFTPADDING", (0, 0), (0, -1), 0),
                    ("LINEBELOW", (0, 0), (-1, -1), 0.25, self.colour["border"]),
                    ("TOPPADDING", (0, 0), (-1, -1), 2),
                    ("BOTTOMPADDING", (0, 0), (-1, -1), 2),
                ]
            )
        )
        return [self.paragraph(self.energy_text("heading"), "heading"), table, Spacer(1, 4 * _MM)]

    def energy_taxes(self) -> list[Any]:
        """The taxes other than VAT the prices include, each as its own amount."""
        taxes = (self.energy or {}).get("taxes")
        if not taxes:
            return []
        accise = self.energy_text(
            "accise",
            kwh=self.quantity(taxes["accise_kwh"], digits=3),
            # the law states it per MWh: 3.085 c per kWh is 30,85 € per MWh
            rate=self.energy_text(
                "per_mwh", price=self.amount(Decimal(str(taxes["accise_cents_per_kwh"])) * 10)
            ),
            amount=self.money(int(taxes["accise_cents"])),
        )
        cta = self.energy_text(
            "cta",
            rate=self.percent(Decimal(str(taxes["cta_rate_percent"]))),
            base=self.money(int(taxes["cta_base_cents"])),
            amount=self.money(int(taxes["cta_cents"])),
        )
        return [
            self.paragraph(self.energy_text("taxes_heading"), "heading"),
            self.paragraph(accise),
            self.paragraph(cta),
            self.paragraph(self.energy_text("taxes_included"), "small"),
        ]

    def energy_mentions(self) -> list[Any]:
        """The energy ombudsman and the consumers' information service."""
        if self.energy is None:
            return []
        return [self.paragraph(self.energy_text("ombudsman"), "legal")]

    def totals(self) -> list[Any]:
        """The VAT breakdown on the left, the totals on the right."""
        from reportlab.platypus import Spacer, Table

        line = self.colour["border"]
        vat_rows = [[self.text["vat_rate"], self.text["vat_base"], self.text["vat_amount"]]]
        vat_rows += [
            [self.percent(cii.parse_rate(g["rate"])), self.money(g["base_cents"]), self.money(g["tax_cents"])]
            for g in self.breakdown
        ]
        vat_widths = [20 * _MM, 30 * _MM, 30 * _MM]
        vat = Table(
            [
                [self.cell(text, "td", w - 8) for text, w in zip(row, vat_widths, strict=True)]
                for row in vat_rows
            ],
            colWidths=vat_widths,
            hAlign="LEFT",
        )
        vat.setStyle(
            self.table_style(
                [
                    *self.cell_fonts("td", (0, 0), (-1, -1)),
                    *self.cell_fonts("label", (0, 0), (-1, 0)),
                    ("ALIGN", (1, 0), (-1, -1), "RIGHT"),
                    ("LEFTPADDING", (0, 0), (0, -1), 0),
                    ("LINEBELOW", (0, 0), (-1, -1), 0.25, line),
                    ("TOPPADDING", (0, 0), (-1, -1), 2),
                    ("BOTTOMPADDING", (0, 0), (-1, -1), 2),
                ]
            )
        )
        total = self.invoice["total_cents"]
        rows = [
            (self.text["total_excl"], self.money(self.invoice["total_excl_tax_cents"])),
            (self.text["total_tax"], self.money(self.invoice["tax_cents"])),
            (self.text["total_incl"], self.money(total)),
        ]
        if cii.is_paid_by_card(self.invoice):
            rows += [(self.text["prepaid"], self.money(total)), (self.text["amount_due"], self.money(0))]
        elif self.credits:
            rows += [
                (
                    self.text["credit_deducted"].format(number=self.value(credit.get("number"))),
                    self.money(-credit["cents"]),
                )
                for credit in self.credits
            ]
            rows.append((self.text["amount_due"], self.money(total - cii.prepaid_cents(self.invoice))))
        widths = [44 * _MM, 30 * _MM]
        totals = Table(
            [
                [self.cell(label, "td", widths[0] - 8), self.cell(value, "td", widths[1] - 8)]
                for label, value in rows
            ],
            colWidths=widths,
            hAlign="RIGHT",
        )
        grand = 2  # the row of the total including VAT
        totals.setStyle(
            self.table_style(
                [
                    *self.cell_fonts("td", (0, 0), (-1, -1)),
                    *self.cell_fonts("total", (0, grand), (-1, grand)),
                    ("ALIGN", (1, 0), (1, -1), "RIGHT"),
                    ("LINEABOVE", (0, grand), (-1, grand), 0.75, self.colour["primary"]),
                    ("BACKGROUND", (0, grand), (-1, grand), self.colour["background"]),
                    ("TOPPADDING", (0, 0), (-1, -1), 2),
                    ("BOTTOMPADDING", (0, 0), (-1, -1), 2),
                ]
            )
        )
        left = [self.paragraph(self.text["vat_heading"], "heading"), vat]
        side = Table([[left, totals]], colWidths=[self.width - 74 * _MM, 74 * _MM])
        side.setStyle(
            self.table_style(
                [
                    ("VALIGN", (0, 0), (-1, -1), "BOTTOM"),
                    ("LEFTPADDING", (0, 0), (-1, -1), 0),
                    ("RIGHTPADDING", (0, 0), (-1, -1), 0),
                ]
            )
        )
        return [Spacer(1, 3 * _MM), side]

    def payment_text(self) -> str:
        """What the customer has to do (or what the provider does, for a resale)."""
        text = self.text
        mode = str(self.invoice.get("payment_mode") or "")
        total = self.invoice["total_cents"]
        amount = self.money(abs(total) if total < 0 else total - cii.prepaid_cents(self.invoice))
        due = self.date(self.invoice.get("due_on"))
        mode_label = text.get(f"mode_{mode}", self.value(mode))
        if self.kind == "resale":
            iban = printable(self.buyer.get("iban")).strip()
            account = text["pay_resale_account"].format(iban=mask_iban(iban)) if iban else ""
            return text["pay_resale"].format(amount=amount, provider=self.company, due=due, account=account)
        if total == 0 or (self.credits and 0 < total <= cii.prepaid_cents(self.invoice)):
            return text["pay_nothing"]
        if total < 0 or self.kind == "credit_note":
            key = "pay_carried" if self.invoice.get("carried") else "pay_refund"
            return text[key].format(amount=amount, mode=mode_label)
        iban = format_iban(printable(self.seller.get("iban")).strip())
        values = {
            "amount": amount,
            "due": due,
            "payee": self.company,
            "iban": iban,
            "number": self.number,
            "customer_id": self.customer_id,
            "mandate": self.value(self.invoice.get("mandate_reference")),
            "address": ", ".join(self.party_address(self.seller)) or DASH,
        }
        if mode == "direct_debit":
            key = (
                "pay_direct_debit" if self.invoice.get("mandate_reference") else "pay_direct_debit_no_mandate"
            )
        elif mode == "card":
            key = "pay_card_paid" if cii.is_paid_by_card(self.invoice) else "pay_card_open"
        elif mode == "check":
            key = "pay_check"
        elif mode == "tip":
            key = "pay_tip" if iban else "pay_tip_no_iban"
        else:
            key = "pay_transfer" if iban else "pay_transfer_no_iban"
        return text[key].format(**values)

    def payment(self) -> list[Any]:
        mode = str(self.invoice.get("payment_mode") or "")
        story = [
            self.paragraph(self.text["payment_heading"], "heading"),
            self.paragraph(
                self.text["payment_mode"].format(mode=self.text.get(f"mode_{mode}", self.value(mode))),
                "strong",
            ),
            self.paragraph(self.payment_text()),
        ]
        if self.invoice.get("payment_terms"):
            terms = self.text["payment_terms"].format(terms=self.value(self.invoice["payment_terms"]))
            story.append(self.paragraph(terms))
        return story

    def tip(self) -> list[Any]:
        """The TIP SEPA slip at the foot of the invoice: who is paid, the reference to quote, the
        amount, and the customer's account to debit (masked) when it is on file."""
        from reportlab.platypus import Spacer, Table

        slip = self.tip_slip or {}
        account = printable(slip.get("account")).strip()
        rows = [
            (self.text["tip_payee"], self.value(slip.get("payee"))),
            (self.text["tip_reference"], self.value(slip.get("reference"))),
            (self.text["tip_amount"], self.money(int(slip.get("amount_cents") or 0))),
            (self.text["tip_account"], mask_iban(account) if account else self.text["tip_account_missing"]),
            (self.text["tip_signature"], ""),
        ]
        widths = [45 * _MM, self.width - 45 * _MM - 4]
        table = Table(
            [[self.paragraph(self.text["tip_title"], "strong"), ""]]
            + [
                [self.cell(label, "label", widths[0] - 8), self.cell(value, "td", widths[1] - 8)]
                for label, value in rows
            ],
            colWidths=widths,
        )
        table.setStyle(
            self.table_style(
                [
                    ("SPAN", (0, 0), (-1, 0)),
                    ("BOX", (0, 0), (-1, -1), 0.75, self.colour["primary"]),
                    ("LINEBELOW", (0, 1), (-1, -2), 0.25, self.colour["border"]),
                    ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
                    ("BOTTOMPADDING", (0, -1), (-1, -1), 14),
                ]
            )
        )
        cut = self.text["tip_cut"].format(address=", ".join(self.party_address(self.seller)) or DASH)
        return [Spacer(1, 6 * _MM), self.paragraph("- " * 60, "small"), self.paragraph(cut, "small"), table]

    def legal(self) -> list[Any]:
        """The seller's identifiers, and the mentions the law asks for."""
        from reportlab.platypus import Spacer

        mentions = []
        # a private producer selling its surplus is not subject to VAT (category O in the XML)
        zero_rated = any(group["rate"] == "0.0" for group in self.breakdown)
        if self.kind == "resale" and zero_rated and not printable(self.buyer.get("vat_number")).strip():
            mentions.append(self.text["not_subject"])
        mentions.append(
            self.text["legal_ids"].format(
                name=self.company,
                siren=self.value(self.seller.get("siren")),
                vat=self.value(self.seller.get("vat_number")),
            )
        )
        address = ", ".join(self.party_address(self.seller))
        if address:
            mentions.append(self.text["legal_address"].format(address=address))
        if self.invoice.get("vat_regime") == vat.REVERSE_CHARGE and self.kind != "resale":
            mentions.append(self.text["reverse_charge"])
        if cii.is_business(self.buyer) and self.kind != "resale":
            mentions.append(self.text["late_penalty"])
        return [Spacer(1, 5 * _MM), *(self.paragraph(text, "legal") for text in mentions)]

    # Pages.

    def stamp(self, canvas: Any, doc: Any) -> None:
        """A duplicate's stamp: under the content, in a light colour (no transparency: PDF/A)."""
        if not self.duplicate:
            return
        width, height = doc.pagesize
        canvas.saveState()
        canvas.setFillColor(self.colour["background"])
        canvas.setFont(FONT_BOLD, 96)
        canvas.translate(width / 2, height / 2)
        canvas.rotate(45)
        canvas.drawCentredString(0, -34, self.stamp_text)
        canvas.restoreState()

    def story(self) -> list[Any]:
        from reportlab.platypus import KeepTogether

        story = [
            *self.header(),
            *self.parties(),
            *self.energy_contract(),
            self.lines_table(),
            # the totals, the payment and the legal mentions move to the next page as one block
            KeepTogether(
                [
                    *self.totals(),
                    *self.energy_taxes(),
                    *self.payment(),
                    *self.legal(),
                    *self.energy_mentions(),
                ]
            ),
        ]
        if self.tip_slip:
            story.append(KeepTogether(self.tip()))
        return story
