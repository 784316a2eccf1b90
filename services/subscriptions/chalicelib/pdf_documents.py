"""The PDF documents of a subscription: its contract, the general terms of sale, a proof of address,
the written confirmation of a cancellation.

They are printed on the provider's letterhead (`guichet_contracts.letterhead`: logo, colours,
legal identity at the foot of every page, embedded fonts) and are PDF/A-2B (sRGB output intent,
XMP metadata). The provider party to the contract is the brand's legal company; the general
terms of sale are the brand's (`brand/terms/<language>.md`, `Brand.terms`); the labels are data
(pdf_documents.json beside this module, which the brand's `texts` reword as
`pdf.documents.<label>`); money and days are written by
`guichet_contracts.formatting`.

reportlab (~120 ms to import) and xml.sax.saxutils (~40 ms: it pulls in urllib.request) are
imported inside the functions that draw: only the document routes need them, so importing this
module for its titles keeps a short cold start.
"""

from __future__ import annotations

import datetime
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

from guichet_contracts import formatting
from guichet_contracts.brand import Brand, load_brand
from guichet_contracts.letterhead import DASH, Document, load_labels, printable

KINDS = ("contract", "terms", "proof_of_address", "cancellation")
_LABELS_FILE = Path(__file__).with_name("pdf_documents.json")
_MM = 72 / 25.4


class AddressMissing(ValueError):
    """A proof of address was asked for a customer without a postal address (the caller answers 409)."""

    def __init__(self) -> None:
        super().__init__("address")


def title(kind: str, language: str, brand: Brand | None = None) -> str:
    """The document's title in the customer's language (fr when the language is unknown), as
    `brand` (the configured one by default) words it."""
    if kind not in KINDS:
        raise ValueError("kind")
    return str(_labels(language, brand or load_brand())["titles"][kind])


def render(
    kind: str,
    *,
    subscription: dict[str, Any],
    customer: dict[str, Any],
    language: str,
    today: datetime.date,
    brand: Brand | None = None,
) -> bytes:
    """One document of a subscription as PDF bytes, on the letterhead of `brand` (the configured
    brand by default).

    Raises ValueError("kind") for an unknown kind and AddressMissing, a ValueError("address"),
    for a proof of address of a customer without a postal address.
    """
    if kind not in KINDS:
        raise ValueError("kind")
    if kind == "proof_of_address" and not _has_address(customer):
        raise AddressMissing()
    writer = _Writer(
        kind=kind, subscription=subscription, customer=customer, language=language, today=today, brand=brand
    )
    return writer.build(writer.story())


def _labels(language: str, brand: Brand) -> dict[str, Any]:
    """The labels of a language (fr when unknown): titles, texts, families, statuses, worded as
    the brand words them (`pdf.documents.<path>` in its `texts`)."""
    return load_labels(_LABELS_FILE, language, brand)


def _has_address(customer: dict[str, Any]) -> bool:
    address = customer.get("address") or {}
    return bool(str(address.get("line1") or "").strip() and str(address.get("city") or "").strip())


class _Writer(Document):
    """Lays out one document: the letterhead, the holder, the body of its kind."""

    body_size = 9.5

    def __init__(
        self,
        *,
        kind: str,
        subscription: dict[str, Any],
        customer: dict[str, Any],
        language: str,
        today: datetime.date,
        brand: Brand | None,
    ) -> None:
        super().__init__(language=language, issued_on=today, brand=brand)
        self.kind = kind
        self.subscription = subscription
        self.contract = subscription.get("contract") or {}
        self.customer = customer
        self.today = today
        self.labels = _labels(self.language, self.brand)
        self.text = self.labels["labels"]
        self.title = self.labels["titles"][kind]

    def footer_text(self) -> str:
        return f"{self.provider} — {self.title} — {self.text['dossier']} {self.dossier}"

    def running_head(self) -> str:
        return f"{self.text['customer_id']}{self.text['colon']} {self.customer_id}"

    def metadata(self) -> dict[str, str]:
        subject = f"{self.title} — {self.dossier} — {self.customer_id}"
        return {"title": self.title, "author": self.company, "subject": subject}

    # Values shown on the documents, already made printable (not yet escaped).

    @property
    def customer_name(self) -> str:
        name = " ".join(
            part for part in (self.customer.get("first_name"), self.customer.get("last_name")) if part
        )
        return printable(name).strip() or self.value(
            self.customer.get("company") or self.customer.get("email")
        )

    @property
    def price(self) -> str:
        amount = self.money(
            int(self.subscription.get("price_cents") or 0), self.subscription.get("currency") or "EUR"
        )
        period = self.text["year" if self.subscription.get("billing_period") == "year" else "month"]
        return f"{amount} / {period}"

    @property
    def commitment(self) -> str:
        months = int(self.subscription.get("commitment_months") or 0)
        if months <= 0:
            return self.text["no_commitment"]
        return self.text["months_one" if months == 1 else "months_many"].format(n=months)

    @property
    def is_electricity(self) -> bool:
        return self.subscription.get("family") == "electricity" or bool(self.contract.get("pdl"))

    # Flowables.

    def facts(self, rows: list[tuple[str, str]]) -> Any:
        """A two-column table of label and value."""
        from reportlab.platypus import Table

        label_width, value_width = 55 * _MM, self.width - 55 * _MM
        data = [
            [self.cell(label, "label", label_width - 8), self.cell(value, "value", value_width - 8)]
            for label, value in rows
        ]
        # splitInRow: a value longer than a page (a pasted label, say) continues on the next one
        table = Table(data, colWidths=[label_width, value_width], hAlign="LEFT", splitInRow=1)
        table.setStyle(
            self.table_style(
                [
                    *self.cell_fonts("label", (0, 0), (0, -1)),
                    *self.cell_fonts("value", (1, 0), (1, -1)),
                    ("VALIGN", (0, 0), (-1, -1), "TOP"),
                    ("LINEBELOW", (0, 0), (-1, -1), 0.25, self.colour["border"]),
                    ("TOPPADDING", (0, 0), (-1, -1), 3),
                    ("BOTTOMPADDING", (0, 0), (-1, -1), 3),
                    ("LEFTPADDING", (0, 0), (-1, -1), 0),
                ]
            )
        )
        return table

    def header(self) -> list[Any]:
        """The letterhead and the title; customer id, dossier number and date top right."""
        rows = [
            (self.text["customer_id"], self.customer_id),
            (self.text["dossier"], self.dossier),
            (self.text["issued_on"], self.date(self.today)),
        ]
        box = self.reference_box(rows, keys=1, label_width=30 * _MM)
        return self.letterhead([self.paragraph(self.title, "title")], box)

    @property
    def customer_id(self) -> str:
        return self.value(self.customer.get("customer_id"))

    @property
    def dossier(self) -> str:
        return self.value(self.subscription.get("dossier_number"))

    def holder(self) -> list[Any]:
        lines = [(self.customer_name, "b")]
        if self.customer.get("company"):
            lines.append((self.value(self.customer["company"]), "b"))
        # a business: its SIREN (or the SIRET of the establishment) and its VAT number
        for name in ("siret", "siren", "vat_number"):
            if self.customer.get(name) and not (name == "siren" and self.customer.get("siret")):
                lines.append((self.text[f"holder_{name}"].format(value=self.value(self.customer[name])), ""))
        lines += [(line, "") for line in self.address_lines(self.customer.get("address"))]
        contact = [self.customer.get("email"), self.customer.get("phone")]
        lines += [(printable(item), "") for item in contact if item]
        return [self.heading(self.text["holder"]), self.lines_paragraph(lines)]

    def subscription_rows(self, *, full: bool) -> list[tuple[str, str]]:
        family = str(self.subscription.get("family") or "")
        status = str(self.subscription.get("status") or "")
        rows = [
            (self.text["product"], self.value(self.subscription.get("name"))),
            (self.text["dossier"], self.dossier),
        ]
        if full and self.subscription.get("label"):
            rows.append((self.text["label"], self.value(self.subscription["label"])))
        rows += [
            (self.text["family"], self.labels["families"].get(family, self.value(family))),
            (self.text["status"], self.labels["statuses"].get(status, self.value(status))),
            (self.text["price"], self.price),
            (self.text["commitment"], self.commitment),
            (self.text["started_on"], self.date(self.subscription.get("started_on"))),
        ]
        if full and self.subscription.get("cancel_at"):
            rows.append((self.text["cancel_at"], self.date(self.subscription["cancel_at"])))
        elif full:
            rows += [
                (self.text["renews_on"], self.date(self.subscription.get("renews_on"))),
                (self.text["auto_renew"], self.text["yes" if self.subscription.get("auto_renew") else "no"]),
            ]
        if self.contract.get("contract_number") and not (full and self.is_electricity):
            rows.append((self.text["contract_number"], self.value(self.contract["contract_number"])))
        if self.is_electricity and not full:
            rows.append((self.text["pdl"], self.value(self.contract.get("pdl"))))
        return rows

    def energy_rows(self) -> list[tuple[str, str]]:
        contract = self.contract
        power = contract.get("subscribed_power_kva")
        hours = ", ".join(
            f"{printable(slot.get('start'))}–{printable(slot.get('end'))}"
            for slot in contract.get("off_peak_hours") or []
        )
        payment = {"monthly": self.text["pay_monthly"], "per_invoice": self.text["pay_per_invoice"]}
        mode = str(contract.get("payment_mode") or "")
        rows = [
            (self.text["contract_number"], self.value(contract.get("contract_number"))),
            # the offer by its name (the product's), never the catalog's code for it
            (self.text["offer"], self.value(self.subscription.get("name"))),
            (self.text["pdl"], self.value(contract.get("pdl"))),
            (self.text["power"], f"{self.quantity(power, digits=1)} kVA" if power else DASH),
        ]
        option = str(contract.get("tariff_option") or "")
        if option:
            options = {"base": self.text["tariff_base"], "off_peak": self.text["tariff_off_peak"]}
            rows.append((self.text["tariff_option"], options.get(option, self.value(option))))
        rows += self.rate_rows(option)
        rows += [
            (self.text["off_peak"], hours or DASH),
            (self.text["payment_mode"], payment.get(mode, self.value(mode))),
        ]
        return rows

    def rate_rows(self, option: str) -> list[tuple[str, str]]:
        """The prices per kWh the contract bills with (those of its tariff option when it has one),
        the virtual battery's capacity and the surplus buy-back rate, from the terms it was made on."""
        tariff = self.subscription.get("tariff") or {}
        rates = tariff.get("energy_rates_cents_per_kwh") or {}
        periods = {"base": ("base",), "off_peak": ("peak", "off_peak")}.get(option, tuple(rates))
        rows = [
            (
                self.text["rate"].format(period=self.text.get(f"rate_{period}", period)),
                self.per_kwh(rates[period]),
            )
            for period in periods
            if rates.get(period) is not None
        ]
        if tariff.get("battery_capacity_kwh") is not None:
            rows.append(
                (self.text["battery"], f"{self.quantity(tariff['battery_capacity_kwh'], digits=1)} kWh")
            )
        if tariff.get("resale_rate_cents_per_kwh") is not None:
            rows.append((self.text["resale_rate"], self.per_kwh(tariff["resale_rate_cents_per_kwh"])))
        return rows

    def per_kwh(self, cents: Any) -> str:
        """A price in cents per kWh as money per kWh, with up to four decimals ("0,1952 € / kWh")."""
        try:
            euros = Decimal(str(cents)) / 100
        except (InvalidOperation, ValueError):
            return self.value(cents)
        if not euros.is_finite():
            return self.value(cents)
        return self.text["per_kwh"].format(amount=self.amount(euros))

    def moment(self, value: Any) -> str:
        """An instant (ISO 8601) as the language writes it, in the provider's time zone."""
        try:
            instant = datetime.datetime.fromisoformat(str(value).replace("Z", "+00:00"))
        except ValueError:
            return self.value(value)
        if instant.tzinfo is None:
            instant = instant.replace(tzinfo=datetime.UTC)
        return printable(formatting.moment(instant, self.language))

    # The three kinds.

    def contract_body(self) -> list[Any]:
        story = [self.paragraph(self.text["contract_intro"].format(provider=self.company))]
        story += self.holder()
        story += [self.heading(self.text["subscription"]), self.facts(self.subscription_rows(full=True))]
        if self.is_electricity:
            story += [self.heading(self.text["energy"]), self.facts(self.energy_rows())]
        cancel_at = self.subscription.get("cancel_at")
        if cancel_at:
            term = self.text["cancelled"].format(date=self.date(cancel_at))
        else:
            term = self.text["renewal_auto" if self.subscription.get("auto_renew") else "renewal_manual"]
        story += [self.heading(self.text["term_heading"]), self.paragraph(term)]
        started_on = self.subscription.get("started_on")
        imported = self.subscription.get("imported")
        accepted = self.subscription.get("accepted")
        if imported:  # made with the provider elsewhere: Guichet never had it accepted
            acceptance = self.text["imported"].format(
                provider=self.company, started=self.date(started_on), date=self.date(imported["imported_on"])
            )
        elif accepted:  # the order that made it: when it was placed, with which terms of sale
            acceptance = self.text["accepted" if accepted.get("terms_version") else "ordered"].format(
                name=self.customer_name,
                moment=self.moment(accepted.get("at")),
                order=self.value(accepted.get("order_id")),
                version=self.value(accepted.get("terms_version")),
            )
        elif started_on:  # ordered before orders were recorded with their contract: claim nothing
            acceptance = self.text["no_record"].format(date=self.date(started_on))
        else:
            acceptance = self.text["not_accepted"].format(name=self.customer_name)
        story += [self.heading(self.text["acceptance"]), self.paragraph(acceptance, "signature")]
        return story

    def terms_body(self) -> list[Any]:
        story = [self.heading(self.text["particular"])]
        story.append(self.paragraph(self.text["terms_intro"].format(provider=self.company)))
        story += self.holder()
        story += [self.facts(self.subscription_rows(full=False)), *self.general_terms()]
        story.append(self.paragraph(self.text["terms_version"].format(date=self.date(self.today)), "note"))
        return story

    def general_terms(self) -> list[Any]:
        """The brand's general terms of sale, article by article."""
        story = [self.heading(self.text["general"])]
        for number, (heading, text) in enumerate(self.brand.terms(self.language), start=1):
            article = self.text["article"].format(n=number)
            story.append(self.paragraph(printable(f"{article} — {heading}"), "article"))
            story.append(self.paragraph(printable(text), "justified"))
        return story

    def proof_body(self) -> list[Any]:
        from reportlab.platypus import Indenter, Spacer

        lines = [(self.customer_name, "b")]
        if self.customer.get("company"):
            lines.append((self.value(self.customer["company"]), "b"))
        # a business: its SIREN (or the SIRET of the establishment) and its VAT number
        for name in ("siret", "siren", "vat_number"):
            if self.customer.get(name) and not (name == "siren" and self.customer.get("siret")):
                lines.append((self.text[f"holder_{name}"].format(value=self.value(self.customer[name])), ""))
        lines += [(line, "") for line in self.address_lines(self.customer.get("address"))]
        lines.append((f"{self.text['customer_id']}{self.text['colon']} {self.customer_id}", ""))
        started_on = self.subscription.get("started_on")
        since = self.text["proof_since"].format(date=self.date(started_on)) if started_on else ""
        product = self.value(self.subscription.get("name"))
        if self.is_electricity:
            holds = self.text["proof_holds_energy"].format(
                contract=self.value(self.contract.get("contract_number")),
                pdl=self.value(self.contract.get("pdl")),
                product=product,
                dossier=self.dossier,
                since=since,
            )
        else:
            holds = self.text["proof_holds"].format(product=product, dossier=self.dossier, since=since)
        return [
            Spacer(1, 4 * _MM),
            self.paragraph(self.text["proof_certifies"].format(provider=self.company)),
            Indenter(left=12 * _MM),
            self.lines_paragraph(lines),
            Indenter(left=-12 * _MM),
            self.paragraph(holds),
            self.paragraph(self.text["proof_purpose"]),
            self.heading(self.text["references"]),
            self.facts(self.subscription_rows(full=False)),
            Spacer(1, 8 * _MM),
            self.paragraph(self.text["done_on"].format(date=self.date(self.today))),
            self.paragraph(self.text["signed_for"].format(provider=self.company), "signature"),
            self.paragraph(self.text["signed_electronically"], "note"),
        ]

    def cancellation_body(self) -> list[Any]:
        """The written confirmation of a cancellation asked for in the customer area: when it was
        asked, when it takes effect, the service's last day, what is credited or still billed."""
        from reportlab.platypus import Spacer

        request = self.subscription.get("cancellation") or {}
        effective_on = self.subscription.get("cancel_at")
        immediately = bool(request.get("immediately"))
        try:
            last_day: Any = datetime.date.fromisoformat(str(effective_on))
        except ValueError:
            last_day = None
        if last_day is not None and not immediately:
            last_day -= datetime.timedelta(
                days=1
            )  # a planned cancellation ends the day before it takes effect
        refund = request.get("refund_cents")
        rows = [
            *self.subscription_rows(full=False),
            (self.text["requested_at"], self.moment(request.get("requested_at"))),
            (self.text["effective_on"], self.date(effective_on)),
            (self.text["last_day"], self.date(last_day)),
        ]
        if refund:
            rows.append((self.text["refund"], self.money(int(refund), self.subscription.get("currency"))))
        if immediately:
            outcome = [self.paragraph(self.text["cancel_immediate"].format(date=self.date(effective_on)))]
        else:
            outcome = [
                self.paragraph(
                    self.text["cancel_planned"].format(
                        date=self.date(effective_on), last_day=self.date(last_day)
                    )
                ),
                self.paragraph(self.text["cancel_withdraw"].format(date=self.date(last_day))),
            ]
        if refund:
            amount = self.money(int(refund), self.subscription.get("currency"))
            outcome.append(self.paragraph(self.text["cancel_refund"].format(amount=amount)))
        if self.is_electricity:
            outcome.append(self.paragraph(self.text["cancel_energy"]))
        intro = self.text["cancel_intro"].format(
            provider=self.company, moment=self.moment(request.get("requested_at")), name=self.customer_name
        )
        return [
            self.paragraph(intro),
            *self.holder(),
            self.heading(self.text["references"]),
            self.facts(rows),
            *outcome,
            Spacer(1, 8 * _MM),
            self.paragraph(self.text["done_on"].format(date=self.date(self.today))),
            self.paragraph(self.text["signed_for"].format(provider=self.company), "signature"),
            self.paragraph(self.text["signed_electronically"], "note"),
        ]

    def story(self) -> list[Any]:
        body = {
            "contract": self.contract_body,
            "terms": self.terms_body,
            "proof_of_address": self.proof_body,
            "cancellation": self.cancellation_body,
        }
        return self.header() + body[self.kind]()


def render_terms_of_sale(*, language: str, today: datetime.date, brand: Brand | None = None) -> bytes:
    """The brand's general terms of sale alone, as offered before any subscription exists (the
    checkout links to them): no holder, no particular conditions, the terms' version on top."""
    writer = _TermsOfSaleWriter(
        kind="terms", subscription={}, customer={}, language=language, today=today, brand=brand
    )
    return writer.build(writer.story())


class _TermsOfSaleWriter(_Writer):
    def footer_text(self) -> str:
        return f"{self.provider} — {self.title} — {self.version}"

    def running_head(self) -> str:
        return self.title

    def metadata(self) -> dict[str, str]:
        return {"title": self.title, "author": self.company, "subject": f"{self.title} — {self.version}"}

    @property
    def version(self) -> str:
        return printable(self.brand.terms_of_sale.version)

    def header(self) -> list[Any]:
        box = self.reference_box(
            [(self.text["issued_on"], self.date(self.today))], keys=1, label_width=30 * _MM
        )
        return self.letterhead([self.paragraph(f"{self.title} — {self.version}", "title")], box)

    def story(self) -> list[Any]:
        return self.header() + self.general_terms()
