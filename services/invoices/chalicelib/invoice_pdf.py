"""The invoice PDF: an A4 document a person reads, carrying the Factur-X XML a machine reads.

`render` lays the invoice out with reportlab (platypus) in French, English or Italian, then
`facturx.generate_from_binary` embeds the EN 16931 XML of `cii.cii_xml` as factur-x.xml and
declares the file PDF/A-3. `blank_page` is a one-page empty PDF from the same library, the
baseline of the rendering benchmark.

PDF/A-3 asks more of the reportlab document than factur-x adds, and this module provides it:
- every font embedded: Bitstream Vera, shipped inside the reportlab package, replaces the
  built-in Helvetica (never embedded), including as the canvas's initial font;
- an sRGB output intent, with a small ICC v2 profile built here (`_srgb_icc`);
- no transparency: the DUPLICATA stamp is a light colour drawn under the page's content;
- the XMP metadata left uncompressed, and the document information dictionary matching it
  (`_finish_pdfa`, one pypdf pass over factur-x's output).

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
import unicodedata
from decimal import Decimal
from functools import lru_cache
from typing import Any

from . import cii

LANGUAGES = ("fr", "en", "it")
DEFAULT_LANGUAGE = "fr"

FONT = "GuichetSans"
FONT_BOLD = "GuichetSans-Bold"
FONT_OBLIQUE = "GuichetSans-Oblique"
FONT_BOLD_OBLIQUE = "GuichetSans-BoldOblique"
_FONT_FILES = {
    FONT: "Vera.ttf",
    FONT_BOLD: "VeraBd.ttf",
    FONT_OBLIQUE: "VeraIt.ttf",
    FONT_BOLD_OBLIQUE: "VeraBI.ttf",
}

_TITLES = {
    "fr": {
        "invoice": "Facture",
        "credit_note": "Avoir",
        "resale": "Facture de revente de surplus",
        "regularization": "Facture de régularisation",
    },
    "en": {
        "invoice": "Invoice",
        "credit_note": "Credit note",
        "resale": "Surplus resale invoice",
        "regularization": "Adjustment invoice",
    },
    "it": {
        "invoice": "Fattura",
        "credit_note": "Nota di credito",
        "resale": "Fattura di rivendita dell'eccedenza",
        "regularization": "Fattura di conguaglio",
    },
}

_DUPLICATE_STAMP = {"fr": "DUPLICATA", "en": "DUPLICATE", "it": "DUPLICATO"}

_LABELS: dict[str, dict[str, str]] = {
    "fr": {
        "colon": " :",
        "customer_id": "Identifiant client",
        "number": "N° de facture",
        "number_credit_note": "N° d'avoir",
        "issued_on": "Date d'émission",
        "due_on": "Date d'échéance",
        "duplicate_note": "DUPLICATA — copie de l'original émis le {date}",
        "credit_for": "Avoir sur la facture n° {number}",
        "billing_address": "Adresse de facturation",
        "resale_seller": "Vendeur (producteur)",
        "resale_buyer": "Acheteur",
        "self_billing": (
            "Autofacturation : facture émise par {provider} au nom et pour le compte de {customer}."
        ),
        "period": "Période de facturation : du {start} au {end}",
        "period_from": "Période de facturation : à partir du {start}",
        "period_until": "Période de facturation : jusqu'au {end}",
        "order": "Commande n° {order}",
        "col_description": "Désignation",
        "col_quantity": "Qté",
        "col_unit": "Unité",
        "col_unit_price": "P.U. HT",
        "col_rate": "TVA",
        "col_total": "Total HT",
        "vat_heading": "Détail de la TVA",
        "vat_rate": "Taux",
        "vat_base": "Base HT",
        "vat_amount": "Montant TVA",
        "total_excl": "Total HT",
        "total_tax": "TVA",
        "total_incl": "Total TTC",
        "prepaid": "Déjà réglé",
        "amount_due": "Net à payer",
        "payment_heading": "Règlement",
        "payment_mode": "Mode de paiement : {mode}",
        "payment_terms": "Conditions de paiement : {terms}",
        "mode_card": "carte bancaire",
        "mode_direct_debit": "prélèvement SEPA",
        "mode_check": "chèque",
        "mode_tip": "TIP SEPA (titre interbancaire de paiement)",
        "mode_transfer": "virement",
        "pay_direct_debit": "Montant de {amount} prélevé le {due} sur le compte du mandat {mandate}.",
        "pay_direct_debit_no_mandate": "Montant de {amount} prélevé le {due} sur votre compte bancaire.",
        "pay_card_paid": "Facture réglée par carte bancaire : aucun montant restant dû.",
        "pay_card_open": (
            "Réglez {amount} par carte bancaire avant le {due}, en ligne depuis votre espace client."
        ),
        "pay_check": (
            "Chèque de {amount} à l'ordre de {payee}, à envoyer avant le {due} à l'adresse : {address}. "
            "Inscrivez au dos du chèque le numéro de facture {number} et votre identifiant client "
            "{customer_id}."
        ),
        "pay_transfer": (
            "Virement de {amount} avant le {due} au bénéfice de {payee}, IBAN {iban}, avec la référence "
            "{number}."
        ),
        "pay_transfer_no_iban": (
            "Virement de {amount} avant le {due} au bénéfice de {payee}, avec la référence {number} ; "
            "les coordonnées bancaires figurent dans votre espace client."
        ),
        "pay_tip": (
            "Signez et renvoyez le TIP SEPA ci-dessous avant le {due}, ou réglez {amount} par virement "
            "au bénéfice de {payee}, IBAN {iban}, avec la référence {number}."
        ),
        "pay_tip_no_iban": (
            "Signez et renvoyez le TIP SEPA ci-dessous avant le {due} ({amount}), en rappelant la "
            "référence {number}."
        ),
        "pay_refund": "Montant de {amount} en votre faveur, remboursé par {mode}.",
        "pay_carried": "Montant de {amount} en votre faveur, déduit de votre prochaine facture.",
        "pay_nothing": "Aucun montant à régler.",
        "pay_resale": "Montant de {amount} versé par {provider} par virement le {due}{account}.",
        "pay_resale_account": " sur le compte {iban}",
        "legal_ids": "{name} — SIREN {siren} — N° de TVA intracommunautaire : {vat}",
        "legal_address": "Siège : {address}",
        "late_penalty": (
            "En cas de retard de paiement, des pénalités sont exigibles au taux égal à trois fois le "
            "taux d'intérêt légal, ainsi qu'une indemnité forfaitaire pour frais de recouvrement de "
            "40 € (articles L441-10 et D441-5 du Code de commerce). Pas d'escompte pour paiement "
            "anticipé."
        ),
        "not_subject": "TVA non applicable : le vendeur n'est pas assujetti à la TVA.",
        "buyer_vat": "N° de TVA : {vat}",
        "credit_deducted": "Avoir déduit (n° {number})",
        "tip_title": "TIP SEPA — titre interbancaire de paiement",
        "tip_cut": "À détacher, dater, signer et renvoyer (avec un RIB la première fois) à : {address}",
        "tip_payee": "Créancier",
        "tip_reference": "Référence",
        "tip_amount": "Montant",
        "tip_account": "Compte à débiter",
        "tip_account_missing": "joindre un RIB",
        "tip_signature": "Date et signature",
        "page": "Page {n}",
    },
    "en": {
        "colon": ":",
        "customer_id": "Customer ID",
        "number": "Invoice number",
        "number_credit_note": "Credit note number",
        "issued_on": "Issue date",
        "due_on": "Due date",
        "duplicate_note": "DUPLICATE — copy of the original issued on {date}",
        "credit_for": "Credit note for invoice {number}",
        "billing_address": "Billing address",
        "resale_seller": "Seller (producer)",
        "resale_buyer": "Buyer",
        "self_billing": (
            "Self-billing: invoice issued by {provider} in the name and on behalf of {customer}."
        ),
        "period": "Billing period: {start} to {end}",
        "period_from": "Billing period: from {start}",
        "period_until": "Billing period: until {end}",
        "order": "Order {order}",
        "col_description": "Description",
        "col_quantity": "Qty",
        "col_unit": "Unit",
        "col_unit_price": "Unit price",
        "col_rate": "VAT",
        "col_total": "Excl. VAT",
        "vat_heading": "VAT breakdown",
        "vat_rate": "Rate",
        "vat_base": "Taxable amount",
        "vat_amount": "VAT amount",
        "total_excl": "Total excl. VAT",
        "total_tax": "VAT",
        "total_incl": "Total incl. VAT",
        "prepaid": "Already paid",
        "amount_due": "Amount due",
        "payment_heading": "Payment",
        "payment_mode": "Payment method: {mode}",
        "payment_terms": "Payment terms: {terms}",
        "mode_card": "card",
        "mode_direct_debit": "SEPA direct debit",
        "mode_check": "cheque",
        "mode_tip": "TIP SEPA (interbank payment order)",
        "mode_transfer": "bank transfer",
        "pay_direct_debit": "{amount} will be debited on {due} from the account of mandate {mandate}.",
        "pay_direct_debit_no_mandate": "{amount} will be debited on {due} from your bank account.",
        "pay_card_paid": "Paid by card: nothing left to pay.",
        "pay_card_open": "Pay {amount} by card before {due}, online from your customer area.",
        "pay_check": (
            "Cheque for {amount} payable to {payee}, to be sent before {due} to: {address}. Write the "
            "invoice number {number} and your customer ID {customer_id} on the back of the cheque."
        ),
        "pay_transfer": (
            "Transfer {amount} before {due} to {payee}, IBAN {iban}, with the reference {number}."
        ),
        "pay_transfer_no_iban": (
            "Transfer {amount} before {due} to {payee} with the reference {number}; the bank details "
            "are in your customer area."
        ),
        "pay_tip": (
            "Sign and return the TIP SEPA below before {due}, or transfer {amount} to {payee}, "
            "IBAN {iban}, with the reference {number}."
        ),
        "pay_tip_no_iban": (
            "Sign and return the TIP SEPA below before {due} ({amount}), quoting the reference {number}."
        ),
        "pay_refund": "{amount} in your favour, refunded by {mode}.",
        "pay_carried": "{amount} in your favour, deducted from your next invoice.",
        "pay_nothing": "Nothing to pay.",
        "pay_resale": "{amount} paid by {provider} by bank transfer on {due}{account}.",
        "pay_resale_account": " to the account {iban}",
        "legal_ids": "{name} — SIREN {siren} — VAT number: {vat}",
        "legal_address": "Registered office: {address}",
        "late_penalty": (
            "Late payment incurs penalties at three times the French statutory interest rate and a fixed "
            "recovery fee of €40 (articles L441-10 and D441-5 of the French Commercial Code). No discount "
            "for early payment."
        ),
        "not_subject": "VAT not applicable: the seller is not subject to VAT.",
        "buyer_vat": "VAT number: {vat}",
        "credit_deducted": "Credit deducted (no. {number})",
        "tip_title": "TIP SEPA — interbank payment order",
        "tip_cut": "Detach, date, sign and return (with your bank details the first time) to: {address}",
        "tip_payee": "Creditor",
        "tip_reference": "Reference",
        "tip_amount": "Amount",
        "tip_account": "Account to debit",
        "tip_account_missing": "enclose your bank details",
        "tip_signature": "Date and signature",
        "page": "Page {n}",
    },
    "it": {
        "colon": ":",
        "customer_id": "Codice cliente",
        "number": "N. fattura",
        "number_credit_note": "N. nota di credito",
        "issued_on": "Data di emissione",
        "due_on": "Data di scadenza",
        "duplicate_note": "DUPLICATO — copia dell'originale emesso il {date}",
        "credit_for": "Nota di credito relativa alla fattura n. {number}",
        "billing_address": "Indirizzo di fatturazione",
        "resale_seller": "Venditore (produttore)",
        "resale_buyer": "Acquirente",
        "self_billing": ("Autofatturazione: fattura emessa da {provider} in nome e per conto di {customer}."),
        "period": "Periodo di fatturazione: dal {start} al {end}",
        "period_from": "Periodo di fatturazione: dal {start}",
        "period_until": "Periodo di fatturazione: fino al {end}",
        "order": "Ordine n. {order}",
        "col_description": "Descrizione",
        "col_quantity": "Q.tà",
        "col_unit": "Unità",
        "col_unit_price": "Prezzo unit.",
        "col_rate": "IVA",
        "col_total": "Imponibile",
        "vat_heading": "Riepilogo IVA",
        "vat_rate": "Aliquota",
        "vat_base": "Imponibile",
        "vat_amount": "Imposta",
        "total_excl": "Totale imponibile",
        "total_tax": "IVA",
        "total_incl": "Totale documento",
        "prepaid": "Già pagato",
        "amount_due": "Importo da pagare",
        "payment_heading": "Pagamento",
        "payment_mode": "Modalità di pagamento: {mode}",
        "payment_terms": "Condizioni di pagamento: {terms}",
        "mode_card": "carta di pagamento",
        "mode_direct_debit": "addebito diretto SEPA",
        "mode_check": "assegno",
        "mode_tip": "TIP SEPA (titolo interbancario di pagamento)",
        "mode_transfer": "bonifico",
        "pay_direct_debit": "Importo di {amount} addebitato il {due} sul conto del mandato {mandate}.",
        "pay_direct_debit_no_mandate": "Importo di {amount} addebitato il {due} sul suo conto bancario.",
        "pay_card_paid": "Fattura pagata con carta: nessun importo residuo.",
        "pay_card_open": "Paghi {amount} con carta entro il {due}, online dalla sua Area Clienti.",
        "pay_check": (
            "Assegno di {amount} intestato a {payee}, da inviare entro il {due} a: {address}. Indichi sul "
            "retro il numero di fattura {number} e il suo codice cliente {customer_id}."
        ),
        "pay_transfer": (
            "Bonifico di {amount} entro il {due} a favore di {payee}, IBAN {iban}, con la causale {number}."
        ),
        "pay_transfer_no_iban": (
            "Bonifico di {amount} entro il {due} a favore di {payee}, con la causale {number}; le "
            "coordinate bancarie sono nella sua Area Clienti."
        ),
        "pay_tip": (
            "Firmi e rispedisca il TIP SEPA qui sotto entro il {due}, oppure paghi {amount} con bonifico a "
            "favore di {payee}, IBAN {iban}, con la causale {number}."
        ),
        "pay_tip_no_iban": (
            "Firmi e rispedisca il TIP SEPA qui sotto entro il {due} ({amount}), indicando la causale "
            "{number}."
        ),
        "pay_refund": "Importo di {amount} a suo favore, rimborsato tramite {mode}.",
        "pay_carried": "Importo di {amount} a suo favore, dedotto dalla prossima fattura.",
        "pay_nothing": "Nessun importo da pagare.",
        "pay_resale": "Importo di {amount} versato da {provider} con bonifico il {due}{account}.",
        "pay_resale_account": " sul conto {iban}",
        "legal_ids": "{name} — SIREN {siren} — Partita IVA: {vat}",
        "legal_address": "Sede legale: {address}",
        "late_penalty": (
            "In caso di ritardato pagamento sono dovuti interessi di mora pari a tre volte il tasso di "
            "interesse legale francese e un'indennità forfettaria per le spese di recupero di 40 € "
            "(articoli L441-10 e D441-5 del Codice di commercio francese). Nessuno sconto per pagamento "
            "anticipato."
        ),
        "not_subject": "IVA non applicabile: il venditore non è soggetto all'IVA.",
        "buyer_vat": "Partita IVA: {vat}",
        "credit_deducted": "Credito dedotto (n. {number})",
        "tip_title": "TIP SEPA — titolo interbancario di pagamento",
        "tip_cut": (
            "Staccare, datare, firmare e rispedire (con le coordinate bancarie la prima volta) a: {address}"
        ),
        "tip_payee": "Creditore",
        "tip_reference": "Riferimento",
        "tip_amount": "Importo",
        "tip_account": "Conto da addebitare",
        "tip_account_missing": "allegare le coordinate bancarie",
        "tip_signature": "Data e firma",
        "page": "Pagina {n}",
    },
}

_UNITS = {
    "fr": {"day": "jour", "month": "mois", "year": "an", "kwh": "kWh", "unit": "unité"},
    "en": {"day": "day", "month": "month", "year": "year", "kwh": "kWh", "unit": "unit"},
    "it": {"day": "giorno", "month": "mese", "year": "anno", "kwh": "kWh", "unit": "unità"},
}

_COUNTRIES = {
    "fr": {"FR": "France", "IT": "Italie", "BE": "Belgique", "CH": "Suisse", "LU": "Luxembourg",
           "MC": "Monaco", "DE": "Allemagne", "ES": "Espagne"},
    "en": {"FR": "France", "IT": "Italy", "BE": "Belgium", "CH": "Switzerland", "LU": "Luxembourg",
           "MC": "Monaco", "DE": "Germany", "ES": "Spain"},
    "it": {"FR": "Francia", "IT": "Italia", "BE": "Belgio", "CH": "Svizzera", "LU": "Lussemburgo",
           "MC": "Monaco", "DE": "Germania", "ES": "Spagna"},
}  # fmt: skip

_MONTHS_EN = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
_CURRENCY_SYMBOLS = {"EUR": "€", "GBP": "£", "USD": "$"}
_TRANSLITERATIONS = str.maketrans(
    {"ł": "l", "Ł": "L", "đ": "d", "Đ": "D", "ı": "i", "ħ": "h", "Ħ": "H", "ø": "o", "Ø": "O",
     "\u202f": " ", "\u2009": " ", "\u2007": " ", "\u2011": "-", "\u2212": "-"}
)  # fmt: skip
_DASH = "—"
_PAGE_WIDTH = 595.2755905511812  # A4 in points, as reportlab.lib.pagesizes.A4
_MARGIN = 18 * 72 / 25.4  # 18 mm
_FRAME_PADDING = 6  # platypus frames keep 6 points inside the margins
_ICC_NAME = "sRGB IEC61966-2.1"


def render(
    invoice: dict[str, Any],
    lines: list[dict[str, Any]],
    seller: dict[str, Any],
    buyer: dict[str, Any],
    *,
    language: str,
    duplicate: bool = False,
) -> bytes:
    """The invoice as a Factur-X (EN 16931) PDF/A-3: the readable pages with factur-x.xml inside.

    `seller` is the provider, `buyer` the customer; for a surplus resale the document shows the
    customer as the seller (self-billing). `language` is fr, en or it (fr for anything else).
    `duplicate` stamps DUPLICATA / DUPLICATE / DUPLICATO across every page and says so in the
    header; the embedded XML is the same as the original's.

    Raises cii.InvoiceDataError (a ValueError) for missing data or totals that do not add up.
    """
    from facturx import generate_from_binary

    xml = cii.cii_xml(invoice, lines, seller, buyer)  # checks the data and the totals first
    writer = _Writer(invoice, lines, seller, buyer, language=_language(language), duplicate=duplicate)
    pdf = writer.build()
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


# Formatting (also used by the tests and, if useful, by the e-mails).


def format_money(cents: int, currency: str, language: str) -> str:
    """1 234,56 € in French, 1.234,56 € in Italian, €1,234.56 in English."""
    return format_amount(Decimal(int(cents)).scaleb(-2), currency, language)


def format_amount(amount: Decimal, currency: str, language: str) -> str:
    """An amount in currency units with at least two decimals, more when it has them: a price
    per kWh prints as 0,1952 €."""
    language = _language(language)
    sign = "-" if amount < 0 else ""
    whole, _, fraction = format(abs(amount), "f").partition(".")
    fraction = fraction.rstrip("0").ljust(2, "0")
    if language == "en":
        number = f"{int(whole):,}.{fraction}"
    else:
        grouped = f"{int(whole):,}".replace(",", " " if language == "fr" else ".")
        number = f"{grouped},{fraction}"
    code = (currency or "EUR").upper()
    symbol = _CURRENCY_SYMBOLS.get(code)
    if language == "en":
        return f"{sign}{symbol}{number}" if symbol else f"{sign}{code} {number}"
    return f"{sign}{number} {symbol or code}"


def format_date(value: datetime.date | str | None, language: str) -> str:
    """22/11/2026 in French and Italian, 22 Nov 2026 in English; a dash when there is no date."""
    if value is None or value == "":
        return _DASH
    if isinstance(value, str):
        try:
            value = datetime.date.fromisoformat(value[:10])
        except ValueError:
            return _printable(value)
    if _language(language) == "en":
        return f"{value.day} {_MONTHS_EN[value.month - 1]} {value.year}"
    return value.strftime("%d/%m/%Y")


def format_quantity(value: Any, language: str) -> str:
    """342.5 → "342,5" (fr, it) or "342.5" (en), grouped by thousands like money."""
    try:
        number = cii.parse_quantity(value)
    except ValueError:
        return _printable(value)
    language = _language(language)
    text = format(number.normalize(), "f")
    whole, _, fraction = text.partition(".")
    sign = "-" if whole.startswith("-") else ""
    grouped = f"{int(whole.lstrip('-') or 0):,}"
    if language == "en":
        return f"{sign}{grouped}{'.' + fraction if fraction else ''}"
    grouped = grouped.replace(",", " " if language == "fr" else ".")
    return f"{sign}{grouped}{',' + fraction if fraction else ''}"


def format_rate(rate: str, language: str) -> str:
    """ "20.0" → "20 %" (fr), "20%" (en, it); "5.5" → "5,5 %" (fr), "5.5%" (en), "5,5%" (it)."""
    number = format(cii.parse_rate(rate).normalize(), "f")
    language = _language(language)
    if language == "en":
        return f"{number}%"
    number = number.replace(".", ",")
    return f"{number} %" if language == "fr" else f"{number}%"


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


def title(kind: str, language: str) -> str:
    """The document's title for an invoice kind in a language (fr when unknown)."""
    return _TITLES[_language(language)].get(kind, _TITLES[_language(language)]["invoice"])


def _language(language: str | None) -> str:
    code = (language or "").strip().lower()[:2]
    return code if code in LANGUAGES else DEFAULT_LANGUAGE


# Text the embedded fonts can draw.


def _printable(value: Any) -> str:
    """Text Bitstream Vera can draw: Latin-1, œ, €, typographic quotes and dashes.

    Other letters lose their accent (Dvořák → Dvorak) rather than print as empty boxes; what has
    no Latin form becomes "?"; control characters become spaces.
    """
    text = "" if value is None else str(value)
    text = "".join(" " if unicodedata.category(char) in ("Cc", "Cs") else char for char in text)
    covered = _font_coverage()
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
def _font_coverage() -> frozenset[int]:
    """The characters all four Vera faces have (they cover the same set)."""
    from reportlab.pdfbase import pdfmetrics

    _register_fonts()
    faces = [pdfmetrics.getFont(name).face.charToGlyph for name in _FONT_FILES]
    covered = set(faces[0])
    for face in faces[1:]:
        covered &= set(face)
    return frozenset(covered)


@lru_cache(maxsize=1)
def _register_fonts() -> None:
    """Registers Bitstream Vera (inside the reportlab package) under the GuichetSans names."""
    import os

    import reportlab
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.ttfonts import TTFont

    folder = os.path.join(os.path.dirname(reportlab.__file__), "fonts")
    for name, filename in _FONT_FILES.items():
        pdfmetrics.registerFont(TTFont(name, os.path.join(folder, filename)))
    pdfmetrics.registerFontFamily(
        FONT, normal=FONT, bold=FONT_BOLD, italic=FONT_OBLIQUE, boldItalic=FONT_BOLD_OBLIQUE
    )


# PDF/A: the output intent and the timestamps.


@lru_cache(maxsize=1)
def _srgb_icc() -> bytes:
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

    text = _ICC_NAME.encode("ascii") + b"\0"
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


def _add_output_intent(canvas: Any) -> None:
    """Puts the sRGB output intent PDF/A wants in the document catalog.

    reportlab has no API for it: the catalog writes only the keys its class lists, so this
    catalog instance gets its own list with OutputIntents added.
    """
    from reportlab.pdfbase.pdfdoc import PDFArray, PDFDictionary, PDFName, PDFStream, PDFString

    document = canvas._doc
    catalog = document.Catalog
    if getattr(catalog, "OutputIntents", None) is not None:
        return
    profile = PDFStream(PDFDictionary({"N": 3}), _srgb_icc())
    intent = PDFDictionary(
        {
            "Type": PDFName("OutputIntent"),
            "S": PDFName("GTS_PDFA1"),
            "OutputConditionIdentifier": PDFString(_ICC_NAME),
            "Info": PDFString(_ICC_NAME),
            "RegistryName": PDFString("http://www.color.org"),
            "DestOutputProfile": document.Reference(profile),
        }
    )
    catalog.OutputIntents = PDFArray([intent])
    catalog.__NoDefault__ = [*type(catalog).__NoDefault__, "OutputIntents"]


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


class _Writer:
    """Lays out one invoice: header, parties, lines, VAT, totals, payment, legal mentions."""

    def __init__(
        self,
        invoice: dict[str, Any],
        lines: list[dict[str, Any]],
        seller: dict[str, Any],
        buyer: dict[str, Any],
        *,
        language: str,
        duplicate: bool,
    ) -> None:
        _register_fonts()
        self.invoice = invoice
        self.lines = lines
        self.seller = seller
        self.buyer = buyer
        self.language = language
        self.duplicate = duplicate
        self.kind = invoice.get("kind") or "invoice"
        self.text = _LABELS[language]
        self.title = title(self.kind, language)
        self.currency = (str(invoice.get("currency") or "EUR")).upper()
        self.issued_on = datetime.date.fromisoformat(str(invoice["issued_on"])[:10])
        self.breakdown = cii.checked_breakdown(invoice, lines)
        self.credits = [credit for credit in invoice.get("credits") or [] if credit.get("cents")]
        self.tip_slip = invoice.get("tip_slip")
        self.styles = _styles()
        self.width = _PAGE_WIDTH - 2 * _MARGIN - 2 * _FRAME_PADDING

    # Values, already printable (not yet escaped).

    def value(self, raw: Any) -> str:
        return _printable(raw).strip() or _DASH

    def money(self, cents: int) -> str:
        return format_money(cents, self.currency, self.language)

    def date(self, value: Any) -> str:
        return format_date(value, self.language)

    @property
    def provider(self) -> str:
        return self.value(self.seller.get("name"))

    @property
    def customer_name(self) -> str:
        return self.value(self.buyer.get("name"))

    @property
    def customer_id(self) -> str:
        return self.value(self.invoice.get("customer_id") or self.buyer.get("customer_id"))

    @property
    def number(self) -> str:
        return self.value(self.invoice.get("number"))

    def address_lines(self, party: dict[str, Any]) -> list[str]:
        address = party.get("address") or {}
        city = " ".join(_printable(address.get(key)).strip() for key in ("postal_code", "city")).strip()
        country = str(address.get("country") or "").strip()
        country = _COUNTRIES[self.language].get(country.upper(), country)
        lines = [address.get("line1"), address.get("line2"), city, country]
        return [_printable(line).strip() for line in lines if line and _printable(line).strip()]

    def metadata(self) -> dict[str, str]:
        """Title, author and subject of the PDF (document info and XMP alike)."""
        return {
            "title": f"{self.title} {self.number}",
            "author": self.provider,
            "subject": f"{self.title} {self.number} — {self.customer_id}",
        }

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

    def cell(self, text: str, style: str, width: float) -> Any:
        """A table cell: the plain string when it fits on one line, else a wrapping paragraph."""
        from reportlab.pdfbase.pdfmetrics import stringWidth

        font = self.styles[style]
        if "\n" not in text and stringWidth(text, font.fontName, font.fontSize) <= width:
            return text
        return self.paragraph(text, style)

    def cell_fonts(self, style: str, start: tuple[int, int], stop: tuple[int, int]) -> list[tuple[Any, ...]]:
        font = self.styles[style]
        return [
            ("FONTNAME", start, stop, font.fontName),
            ("FONTSIZE", start, stop, font.fontSize),
            ("LEADING", start, stop, font.leading),
            ("TEXTCOLOR", start, stop, font.textColor),
        ]

    def header(self) -> list[Any]:
        """The provider top left; the customer id, number and dates in a box top right."""
        from reportlab.lib import colors
        from reportlab.lib.units import mm
        from reportlab.platypus import Spacer, Table

        label_width, value_width = 32 * mm, 42 * mm
        number_label = self.text["number_credit_note" if self.kind == "credit_note" else "number"]
        rows = [
            (self.text["customer_id"], self.customer_id),
            (number_label, self.number),
            (self.text["issued_on"], self.date(self.invoice.get("issued_on"))),
            (self.text["due_on"], self.date(self.invoice.get("due_on"))),
        ]
        reference = Table(
            [
                [
                    self.cell(label, "label", label_width - 12),
                    self.cell(value, "key" if i < 2 else "value", value_width - 12),
                ]
                for i, (label, value) in enumerate(rows)
            ],
            colWidths=[label_width, value_width],
            hAlign="RIGHT",
        )
        reference.setStyle(
            _table_style(
                [
                    *self.cell_fonts("label", (0, 0), (0, -1)),
                    *self.cell_fonts("value", (1, 0), (1, -1)),
                    *self.cell_fonts("key", (1, 0), (1, 1)),
                    ("BACKGROUND", (0, 0), (-1, -1), colors.HexColor("#f2f4f7")),
                    ("BOX", (0, 0), (-1, -1), 0.5, colors.HexColor("#d0d5dd")),
                    ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
                    ("TOPPADDING", (0, 0), (-1, -1), 2.5),
                    ("BOTTOMPADDING", (0, 0), (-1, -1), 2.5),
                ]
            )
        )
        provider_lines = [(line, "") for line in self.address_lines(self.seller)]
        if self.seller.get("email"):
            provider_lines.append((_printable(self.seller["email"]).strip(), ""))
        left = [self.paragraph(self.provider, "provider"), self.lines_paragraph(provider_lines, "small")]
        header = Table([[left, reference]], colWidths=[self.width - 74 * mm, 74 * mm])
        header.setStyle(
            _table_style(
                [
                    ("VALIGN", (0, 0), (-1, -1), "TOP"),
                    ("ALIGN", (1, 0), (1, 0), "RIGHT"),
                    ("LEFTPADDING", (0, 0), (-1, -1), 0),
                    ("RIGHTPADDING", (0, 0), (-1, -1), 0),
                ]
            )
        )
        return [header, Spacer(1, 5 * mm)]

    def parties(self) -> list[Any]:
        """The title and the billing address; for a resale, seller and buyer side by side."""
        from reportlab.lib.units import mm
        from reportlab.platypus import Spacer, Table

        heading = [self.paragraph(self.title, "title")]
        if self.duplicate:
            note = self.text["duplicate_note"].format(date=self.date(self.invoice.get("issued_on")))
            heading.append(self.paragraph(note, "duplicate"))
        credited = _printable(self.invoice.get("credited_invoice_number")).strip()
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
                provider=self.provider, customer=self.customer_name
            )
            story = [*heading, Spacer(1, 3 * mm)]
            table = Table([[customer, provider]], colWidths=[half, half])
            table.setStyle(self.block_style())
            return [*story, table, self.paragraph(self_billing, "note"), Spacer(1, 2 * mm)]
        address = self.party_block(self.text["billing_address"], self.buyer, with_id=False)
        table = Table([[heading, address]], colWidths=[self.width * 0.58, self.width * 0.42])
        table.setStyle(self.block_style())
        return [table, Spacer(1, 4 * mm)]

    def block_style(self) -> Any:
        return _table_style(
            [
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
                ("LEFTPADDING", (0, 0), (-1, -1), 0),
                ("RIGHTPADDING", (0, 0), (-1, -1), 6),
            ]
        )

    def party_block(self, label: str, party: dict[str, Any], *, with_id: bool) -> list[Any]:
        lines = [(self.value(party.get("name")), "b")]
        contact = _printable(party.get("contact")).strip()  # the person, when the name is a company
        if contact and contact != lines[0][0]:
            lines.append((contact, ""))
        lines += [(line, "") for line in self.address_lines(party)]
        vat = _printable(party.get("vat_number")).strip()
        if vat and party is self.buyer:
            lines.append((self.text["buyer_vat"].format(vat=vat), ""))
        if party is self.seller and self.kind == "resale":
            siren = _printable(party.get("siren")).strip()
            ids = " — ".join(part for part in (f"SIREN {siren}" if siren else "", vat) if part)
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
        from reportlab.lib import colors
        from reportlab.lib.units import mm
        from reportlab.platypus import Table

        widths = [0.0, 17 * mm, 15 * mm, 22 * mm, 15 * mm, 24 * mm]
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
        units = _UNITS[self.language]
        for line in self.lines:
            unit = str(line.get("unit") or "")
            row = [
                self.value(line.get("description")),
                format_quantity(line.get("quantity"), self.language),
                units.get(unit.lower(), self.value(unit)),
                format_amount(cii.unit_price(line), self.currency, self.language),
                format_rate(line["tax_rate"], self.language),
                self.money(line["total_excl_tax_cents"]),
            ]
            data.append([self.cell(text, "td", width - 8) for text, width in zip(row, widths, strict=True)])
        table = Table(data, colWidths=widths, repeatRows=1, splitInRow=1)
        table.setStyle(
            _table_style(
                [
                    *self.cell_fonts("th", (0, 0), (-1, 0)),
                    *self.cell_fonts("td", (0, 1), (-1, -1)),
                    ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#1f4e79")),
                    ("ALIGN", (1, 0), (-1, -1), "RIGHT"),
                    ("ALIGN", (2, 0), (2, -1), "LEFT"),
                    ("VALIGN", (0, 0), (-1, -1), "TOP"),
                    ("LINEBELOW", (0, 1), (-1, -1), 0.25, colors.HexColor("#d0d5dd")),
                    ("TOPPADDING", (0, 0), (-1, -1), 3),
                    ("BOTTOMPADDING", (0, 0), (-1, -1), 3),
                ]
            )
        )
        return table

    def totals(self) -> list[Any]:
        """The VAT breakdown on the left, the totals on the right."""
        from reportlab.lib import colors
        from reportlab.lib.units import mm
        from reportlab.platypus import Spacer, Table

        line = colors.HexColor("#d0d5dd")
        vat_rows = [[self.text["vat_rate"], self.text["vat_base"], self.text["vat_amount"]]]
        vat_rows += [
            [format_rate(g["rate"], self.language), self.money(g["base_cents"]), self.money(g["tax_cents"])]
            for g in self.breakdown
        ]
        vat_widths = [20 * mm, 30 * mm, 30 * mm]
        vat = Table(
            [
                [self.cell(text, "td", w - 8) for text, w in zip(row, vat_widths, strict=True)]
                for row in vat_rows
            ],
            colWidths=vat_widths,
            hAlign="LEFT",
        )
        vat.setStyle(
            _table_style(
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
        widths = [44 * mm, 30 * mm]
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
            _table_style(
                [
                    *self.cell_fonts("td", (0, 0), (-1, -1)),
                    *self.cell_fonts("total", (0, grand), (-1, grand)),
                    ("ALIGN", (1, 0), (1, -1), "RIGHT"),
                    ("LINEABOVE", (0, grand), (-1, grand), 0.75, colors.HexColor("#1f4e79")),
                    ("BACKGROUND", (0, grand), (-1, grand), colors.HexColor("#f2f4f7")),
                    ("TOPPADDING", (0, 0), (-1, -1), 2),
                    ("BOTTOMPADDING", (0, 0), (-1, -1), 2),
                ]
            )
        )
        left = [self.paragraph(self.text["vat_heading"], "heading"), vat]
        side = Table([[left, totals]], colWidths=[self.width - 74 * mm, 74 * mm])
        side.setStyle(
            _table_style(
                [
                    ("VALIGN", (0, 0), (-1, -1), "BOTTOM"),
                    ("LEFTPADDING", (0, 0), (-1, -1), 0),
                    ("RIGHTPADDING", (0, 0), (-1, -1), 0),
                ]
            )
        )
        return [Spacer(1, 3 * mm), side]

    def payment_text(self) -> str:
        """What the customer has to do (or what the provider does, for a resale)."""
        text = self.text
        mode = str(self.invoice.get("payment_mode") or "")
        total = self.invoice["total_cents"]
        amount = self.money(abs(total) if total < 0 else total - cii.prepaid_cents(self.invoice))
        due = self.date(self.invoice.get("due_on"))
        mode_label = text.get(f"mode_{mode}", self.value(mode))
        if self.kind == "resale":
            iban = _printable(self.buyer.get("iban")).strip()
            account = text["pay_resale_account"].format(iban=mask_iban(iban)) if iban else ""
            return text["pay_resale"].format(amount=amount, provider=self.provider, due=due, account=account)
        if total == 0 or (self.credits and 0 < total <= cii.prepaid_cents(self.invoice)):
            return text["pay_nothing"]
        if total < 0 or self.kind == "credit_note":
            key = "pay_carried" if self.invoice.get("carried") else "pay_refund"
            return text[key].format(amount=amount, mode=mode_label)
        iban = format_iban(_printable(self.seller.get("iban")).strip())
        values = {
            "amount": amount,
            "due": due,
            "payee": self.provider,
            "iban": iban,
            "number": self.number,
            "customer_id": self.customer_id,
            "mandate": self.value(self.invoice.get("mandate_reference")),
            "address": ", ".join(self.address_lines(self.seller)) or _DASH,
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
        from reportlab.lib import colors
        from reportlab.lib.units import mm
        from reportlab.platypus import Spacer, Table

        slip = self.tip_slip or {}
        account = _printable(slip.get("account")).strip()
        rows = [
            (self.text["tip_payee"], self.value(slip.get("payee"))),
            (self.text["tip_reference"], self.value(slip.get("reference"))),
            (self.text["tip_amount"], self.money(int(slip.get("amount_cents") or 0))),
            (self.text["tip_account"], mask_iban(account) if account else self.text["tip_account_missing"]),
            (self.text["tip_signature"], ""),
        ]
        widths = [45 * mm, self.width - 45 * mm - 4]
        table = Table(
            [[self.paragraph(self.text["tip_title"], "strong"), ""]]
            + [
                [self.cell(label, "label", widths[0] - 8), self.cell(value, "td", widths[1] - 8)]
                for label, value in rows
            ],
            colWidths=widths,
        )
        table.setStyle(
            _table_style(
                [
                    ("SPAN", (0, 0), (-1, 0)),
                    ("BOX", (0, 0), (-1, -1), 0.75, colors.HexColor("#1f4e79")),
                    ("LINEBELOW", (0, 1), (-1, -2), 0.25, colors.HexColor("#d0d5dd")),
                    ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
                    ("BOTTOMPADDING", (0, -1), (-1, -1), 14),
                ]
            )
        )
        cut = self.text["tip_cut"].format(address=", ".join(self.address_lines(self.seller)) or _DASH)
        return [Spacer(1, 6 * mm), self.paragraph("- " * 60, "small"), self.paragraph(cut, "small"), table]

    def legal(self) -> list[Any]:
        """The seller's identifiers, and the mentions the law asks for."""
        from reportlab.lib.units import mm
        from reportlab.platypus import Spacer

        mentions = []
        # a private producer selling its surplus is not subject to VAT (category O in the XML)
        zero_rated = any(group["rate"] == "0.0" for group in self.breakdown)
        if self.kind == "resale" and zero_rated and not _printable(self.buyer.get("vat_number")).strip():
            mentions.append(self.text["not_subject"])
        mentions.append(
            self.text["legal_ids"].format(
                name=self.provider,
                siren=self.value(self.seller.get("siren")),
                vat=self.value(self.seller.get("vat_number")),
            )
        )
        address = ", ".join(self.address_lines(self.seller))
        if address:
            mentions.append(self.text["legal_address"].format(address=address))
        if cii.is_business(self.buyer) and self.kind != "resale":
            mentions.append(self.text["late_penalty"])
        return [Spacer(1, 5 * mm), *(self.paragraph(text, "legal") for text in mentions)]

    # Pages.

    def decorate_page(self, canvas: Any, doc: Any) -> None:
        """Called before each page's content: stamp, footer, and the customer id on later pages."""
        from reportlab.lib import colors
        from reportlab.lib.units import mm

        width, height = doc.pagesize
        if doc.page == 1:
            day = self.issued_on
            canvas.setDateFormatter(lambda *_: f"D:{day:%Y%m%d}000000+00'00'")
            _add_output_intent(canvas)
        canvas.saveState()
        if self.duplicate:  # under the content, in a light colour: no transparency (PDF/A)
            canvas.setFillColor(colors.HexColor("#e8ebf0"))
            canvas.setFont(FONT_BOLD, 96)
            canvas.translate(width / 2, height / 2)
            canvas.rotate(45)
            canvas.drawCentredString(0, -34, _DUPLICATE_STAMP[self.language])
            canvas.restoreState()
            canvas.saveState()
        canvas.setFont(FONT, 7.5)
        canvas.setFillColor(colors.HexColor("#667085"))
        left_edge = doc.leftMargin + _FRAME_PADDING
        right_edge = width - doc.rightMargin - _FRAME_PADDING
        footer = f"{self.provider} — {self.title} {self.number}"
        if self.duplicate:
            footer += f" — {_DUPLICATE_STAMP[self.language]}"
        canvas.drawString(left_edge, 10 * mm, footer)
        canvas.drawRightString(right_edge, 10 * mm, self.text["page"].format(n=doc.page))
        if doc.page > 1:  # the customer id stays top right on every page
            canvas.drawRightString(
                right_edge,
                height - 10 * mm,
                f"{self.text['customer_id']}{self.text['colon']} {self.customer_id} — {self.number}",
            )
        canvas.restoreState()

    def build(self) -> bytes:
        from reportlab.lib.pagesizes import A4
        from reportlab.lib.units import mm
        from reportlab.platypus import KeepTogether, SimpleDocTemplate

        story = [
            *self.header(),
            *self.parties(),
            self.lines_table(),
            # the totals, the payment and the legal mentions move to the next page as one block
            KeepTogether([*self.totals(), *self.payment(), *self.legal()]),
        ]
        if self.tip_slip:
            story.append(KeepTogether(self.tip()))
        meta = self.metadata()
        buffer = io.BytesIO()
        document = SimpleDocTemplate(
            buffer,
            pagesize=A4,
            leftMargin=_MARGIN,
            rightMargin=_MARGIN,
            topMargin=16 * mm,
            bottomMargin=18 * mm,
            title=meta["title"],
            author=meta["author"],
            subject=meta["subject"],
            creator="Guichet",
            lang=self.language,
            displayDocTitle=1,
            initialFontName=FONT,  # never Helvetica, which PDF/A cannot use (not embedded)
            invariant=1,  # no clock time nor random id: the same input gives the same bytes
        )
        document.build(story, onFirstPage=self.decorate_page, onLaterPages=self.decorate_page)
        return buffer.getvalue()


def _table_style(commands: list[tuple[Any, ...]]) -> Any:
    """A TableStyle whose cells all default to the embedded font: a table sets its cells' font
    even for cells holding flowables, and reportlab's default is Helvetica (never embedded)."""
    from reportlab.platypus import TableStyle

    return TableStyle([("FONTNAME", (0, 0), (-1, -1), FONT), *commands])


@lru_cache(maxsize=1)
def _styles() -> dict[str, Any]:
    from reportlab.lib import colors
    from reportlab.lib.styles import ParagraphStyle

    ink = colors.HexColor("#101828")
    accent = colors.HexColor("#1f4e79")
    muted = colors.HexColor("#667085")
    body = ParagraphStyle("body", fontName=FONT, fontSize=9, leading=12.5, textColor=ink, spaceAfter=3)
    return {
        "body": body,
        "provider": ParagraphStyle(
            "provider", parent=body, fontName=FONT_BOLD, fontSize=16, leading=20, textColor=accent
        ),
        "title": ParagraphStyle("title", parent=body, fontName=FONT_BOLD, fontSize=15, leading=19),
        "duplicate": ParagraphStyle(
            "duplicate", parent=body, fontName=FONT_BOLD, textColor=colors.HexColor("#b42318")
        ),
        "strong": ParagraphStyle("strong", parent=body, fontName=FONT_BOLD),
        "heading": ParagraphStyle(
            "heading",
            parent=body,
            fontName=FONT_BOLD,
            fontSize=10,
            leading=13,
            textColor=accent,
            spaceBefore=6,
            spaceAfter=3,
            keepWithNext=1,
        ),
        "label": ParagraphStyle(
            "label", parent=body, fontSize=8, leading=10.5, textColor=muted, spaceAfter=1
        ),
        "value": ParagraphStyle("value", parent=body, fontSize=8.5, leading=11, spaceAfter=0),
        "key": ParagraphStyle("key", parent=body, fontName=FONT_BOLD, fontSize=8.5, leading=11, spaceAfter=0),
        "address": ParagraphStyle("address", parent=body, fontSize=9.5, leading=13),
        "small": ParagraphStyle("small", parent=body, fontSize=8, leading=10.5, textColor=muted),
        "th": ParagraphStyle(
            "th",
            parent=body,
            fontName=FONT_BOLD,
            fontSize=8,
            leading=10,
            textColor=colors.white,
            spaceAfter=0,
        ),
        "td": ParagraphStyle("td", parent=body, fontSize=8.5, leading=11, spaceAfter=0),
        "total": ParagraphStyle(
            "total", parent=body, fontName=FONT_BOLD, fontSize=9.5, leading=12, spaceAfter=0
        ),
        "note": ParagraphStyle(
            "note",
            parent=body,
            fontName=FONT_OBLIQUE,
            fontSize=8,
            leading=10.5,
            textColor=muted,
            spaceBefore=3,
        ),
        "legal": ParagraphStyle("legal", parent=body, fontSize=7, leading=9, textColor=muted, spaceAfter=1.5),
    }
