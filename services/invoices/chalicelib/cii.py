"""The machine-readable side of an invoice: its VAT breakdown and its Factur-X XML.

`cii_xml` writes the UN/CEFACT Cross Industry Invoice (CII D16B) of the Factur-X "EN 16931"
profile (guideline `urn:cen.eu:en16931:2017`), the XML that `invoice_pdf.render` embeds in the
PDF as factur-x.xml. `tax_breakdown` is the one place where VAT is summed per rate: the PDF's
VAT table and the XML's ApplicableTradeTax groups both come from it.

lxml is imported inside `cii_xml` (it is only needed to draw a document), so importing this
module costs nothing at cold start. Neither settings nor AWS code is imported here.

Money arrives as integer cents and leaves as decimals with two digits ("1234.50"); rates are
strings ("20.0", "5.5"); nothing goes through a float.

Optional keys read besides the documented ones: seller["creditor_id"] (SEPA creditor identifier,
written as CreditorReferenceID for direct debits), buyer["siren"] (a business customer's SIREN),
buyer["iban"] (the customer's account: the payee's for a surplus resale, the debited one for a
direct debit), invoice["credited_invoice_issued_on"] (date of the credited invoice),
invoice["status"] ("paid" with payment_mode "card": the invoice was paid when ordered),
invoice["vat_regime"] ("reverse_charge": its lines at 0 % are VAT category AE, the buyer's
autoliquidation, with BT-120/BT-121 saying why: vat.regime decides it when the invoice is issued).
"""

from __future__ import annotations

import unicodedata
from decimal import Decimal, InvalidOperation
from typing import Any

from . import vat
from .vat import rate_text

GUIDELINE_ID = "urn:cen.eu:en16931:2017"
KINDS = ("invoice", "credit_note", "resale", "regularization")
# UNTDID 1001: 380 commercial invoice, 381 credit note, 389 self-billed invoice.
TYPE_CODES = {"invoice": "380", "regularization": "380", "credit_note": "381", "resale": "389"}
# UN/ECE Recommendation 20 unit codes.
UNIT_CODES = {"day": "DAY", "month": "MON", "year": "ANN", "kwh": "KWH", "unit": "C62"}
# UNTDID 4461 payment means: 48 bank card, 59 SEPA direct debit, 20 cheque, 58 SEPA credit
# transfer, 30 credit transfer (the TIP). "1" (not defined) stands in for a transfer whose payee
# account is unknown: EN 16931 (BR-61) wants an IBAN with 30 and 58.
PAYMENT_MEANS = {"card": "48", "direct_debit": "59", "check": "20", "transfer": "58", "tip": "30"}
TRANSFER_MEANS = ("transfer", "tip")
NOT_SUBJECT_REASON_CODE = "VATEX-EU-O"
NOT_SUBJECT_REASON = "Not subject to VAT"
REVERSE_CHARGE_REASON_CODE = "VATEX-EU-AE"
REVERSE_CHARGE_REASON = {
    True: "Autoliquidation - article 196 de la directive 2006/112/CE",  # a French seller
    False: "Reverse charge - article 196 of Council Directive 2006/112/EC",
}

_RSM = "urn:un:unece:uncefact:data:standard:CrossIndustryInvoice:100"
_RAM = "urn:un:unece:uncefact:data:standard:ReusableAggregateBusinessInformationEntity:100"
_QDT = "urn:un:unece:uncefact:data:standard:QualifiedDataType:100"
_UDT = "urn:un:unece:uncefact:data:standard:UnqualifiedDataType:100"
_NSMAP = {"rsm": _RSM, "ram": _RAM, "qdt": _QDT, "udt": _UDT}
_DEFAULT_COUNTRY = "FR"

# French legal mentions carried as notes (UNTDID 4451 subject codes) when the seller is French
# and the customer a business: late payment penalties (PMD), the fixed recovery indemnity (PMT),
# no discount for early payment (AAB).
_FR_B2B_NOTES = (
    (
        "PMD",
        "En cas de retard de paiement, des pénalités sont exigibles au taux égal à trois fois le taux "
        "d'intérêt légal (art. L441-10 du Code de commerce).",
    ),
    ("PMT", "Indemnité forfaitaire pour frais de recouvrement en cas de retard de paiement : 40 €."),
    ("AAB", "Pas d'escompte pour paiement anticipé."),
)


class InvoiceDataError(ValueError):
    """The invoice data cannot make a valid document (missing field, totals that do not add up)."""


def tax_breakdown(lines: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The VAT per rate of the stored lines: [{"rate": "20.0", "base_cents": int, "tax_cents": int}],
    highest rate first, rounded once per rate as vat.py does for the invoice itself. Rates written
    differently but equal ("20", "20.0", "20.00") are one group."""
    bases: dict[Decimal, int] = {}
    for index, line in enumerate(lines):
        rate = _rate(line.get("tax_rate"), f"lines[{index}].tax_rate")
        cents = _cents(line.get("total_excl_tax_cents"), f"lines[{index}].total_excl_tax_cents")
        bases[rate] = bases.get(rate, 0) + cents
    return vat.breakdown_of_bases(bases)


def checked_breakdown(invoice: dict[str, Any], lines: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The VAT per rate, after checking that it adds up to the invoice's totals.

    It is `tax_breakdown(lines)`, unless the invoice carries the breakdown it was billed with
    (`tax_breakdown`): prices agreed tax included keep their total, so the VAT of such a rate
    is that total minus its base, which can differ by a cent from base × rate. The given bases
    must still be the sums of the lines per rate.

    Raises InvoiceDataError when there is no line, or when the bases do not sum to
    total_excl_tax_cents, the taxes to tax_cents, or total_excl_tax_cents + tax_cents to
    total_cents: a document that contradicts itself is never drawn.
    """
    if not lines:
        raise InvoiceDataError("an invoice needs at least one line")
    computed = tax_breakdown(lines)
    given = invoice.get("tax_breakdown")
    breakdown = computed
    if given:
        breakdown = [
            {
                "rate": rate_text(_rate(group["rate"], "tax_breakdown.rate")),
                "base_cents": int(group["base_cents"]),
                "tax_cents": int(group["tax_cents"]),
            }
            for group in given
        ]
        if sorted((g["rate"], g["base_cents"]) for g in breakdown) != sorted(
            (g["rate"], g["base_cents"]) for g in computed
        ):
            raise InvoiceDataError("the given VAT bases are not the sums of the lines per rate")
    excl = _cents(invoice.get("total_excl_tax_cents"), "total_excl_tax_cents")
    tax = _cents(invoice.get("tax_cents"), "tax_cents")
    total = _cents(invoice.get("total_cents"), "total_cents")
    bases = sum(group["base_cents"] for group in breakdown)
    taxes = sum(group["tax_cents"] for group in breakdown)
    if bases != excl:
        raise InvoiceDataError(f"the lines sum to {bases} cents, total_excl_tax_cents is {excl}")
    if taxes != tax:
        raise InvoiceDataError(f"the VAT per rate sums to {taxes} cents, tax_cents is {tax}")
    if excl + tax != total:
        raise InvoiceDataError(f"total_excl_tax_cents + tax_cents is {excl + tax}, total_cents is {total}")
    return breakdown


def parse_rate(value: Any) -> Decimal:
    """A rate string ("20.0") as a Decimal; InvoiceDataError when it is not a rate."""
    return _rate(value, "tax_rate")


def parse_quantity(value: Any) -> Decimal:
    """A quantity string ("1", "342.5") as a Decimal; InvoiceDataError when it is not one."""
    return _quantity(value, "quantity")


def unit_price(line: dict[str, Any], name: str = "line") -> Decimal:
    """A line's unit price in currency units: its "unit_price" decimal string when it has one
    (a price per kWh keeps its 4 decimals: "0.1952"), else its unit_price_cents."""
    precise = line.get("unit_price")
    if precise is not None and str(precise).strip() != "":
        if isinstance(precise, (bool, float)):
            raise InvoiceDataError(f"{name}.unit_price must be a decimal string, not {precise!r}")
        try:
            price = Decimal(str(precise).strip())
        except InvalidOperation:
            raise InvoiceDataError(f"{name}.unit_price {precise!r} is not an amount") from None
        if not price.is_finite():
            raise InvoiceDataError(f"{name}.unit_price {precise!r} is not an amount")
        return price
    return Decimal(_cents(line.get("unit_price_cents"), f"{name}.unit_price_cents")).scaleb(-2)


def unit_code(unit: Any) -> str:
    """The UN/ECE code of a line's unit (month → MON, year → ANN, kWh → KWH, unit → C62)."""
    code = UNIT_CODES.get(str(unit or "").strip().lower())
    if code is None:
        raise InvoiceDataError(f"unknown unit {unit!r}")
    return code


def is_business(party: dict[str, Any]) -> bool:
    """A customer is a business when it has a VAT number or a SIREN."""
    return bool(_text(party.get("vat_number")) or _text(party.get("siren")))


def is_paid_by_card(invoice: dict[str, Any]) -> bool:
    """A card invoice already paid when it was issued (an online order): nothing left to pay."""
    return invoice.get("payment_mode") == "card" and invoice.get("status") == "paid"


def prepaid_cents(invoice: dict[str, Any]) -> int:
    """What was paid when the invoice was issued: all of it for a card invoice paid online, else
    the customer's carried credits it deducted (invoice["credits"]: [{number, cents}])."""
    if is_paid_by_card(invoice):
        return int(invoice["total_cents"])
    return sum(int(credit.get("cents") or 0) for credit in invoice.get("credits") or [])


def cii_xml(
    invoice: dict[str, Any], lines: list[dict[str, Any]], seller: dict[str, Any], buyer: dict[str, Any]
) -> bytes:
    """The Factur-X EN 16931 CII XML of an invoice, as UTF-8 bytes with an XML declaration.

    `seller` is the provider and `buyer` the customer. A surplus resale ("resale") is
    self-billed: the customer sells the energy, so the customer is the SellerTradeParty and
    the provider the BuyerTradeParty (TypeCode 389).

    A credit note given with negative amounts is written with positive ones: in CII, type 381
    already says the amounts go back to the customer. Any other kind keeps the signs given.
    A line with a negative unit price (a discount) is written as a positive price times a
    negative quantity, as EN 16931 (BR-27) wants.

    Raises InvoiceDataError for missing data or totals that do not add up.
    """
    from lxml import etree

    kind = invoice.get("kind") or "invoice"
    if kind not in TYPE_CODES:
        raise InvoiceDataError(f"unknown kind {kind!r}")
    number = _required(invoice, "number")
    issued_on = _date102(_required(invoice, "issued_on"), "issued_on")
    breakdown = checked_breakdown(invoice, lines)
    currency = (_text(invoice.get("currency")) or "EUR").upper()
    total = invoice["total_cents"]
    sign = -1 if kind == "credit_note" and total < 0 else 1
    provider = _party(seller, role="provider", default_country=_DEFAULT_COUNTRY)
    customer = _party(buyer, role="customer", default_country=provider["country"])
    if kind == "resale":
        seller_party, buyer_party = customer, provider
    else:
        seller_party, buyer_party = provider, customer
    reverse_charge = invoice.get("vat_regime") == vat.REVERSE_CHARGE and kind != "resale"
    categories = {
        group["rate"]: _category(parse_rate(group["rate"]), seller_party, reverse_charge=reverse_charge)
        for group in breakdown
    }
    not_subject = "O" in categories.values()

    def element(parent: Any, tag: str, text: Any = None, ns: str = _RAM, **attributes: str) -> Any:
        node = etree.SubElement(parent, f"{{{ns}}}{tag}", attributes)
        if text is not None:
            node.text = _xml_text(text)
        return node

    def date_time(parent: Any, tag: str, value: str) -> None:
        wrapper = element(parent, tag)
        element(wrapper, "DateTimeString", value, ns=_UDT, format="102")

    def amount(parent: Any, tag: str, cents: int, **attributes: str) -> None:
        element(parent, tag, format_amount(cents * sign), **attributes)

    root = etree.Element(f"{{{_RSM}}}CrossIndustryInvoice", nsmap=_NSMAP)
    context = element(root, "ExchangedDocumentContext", ns=_RSM)
    if seller_party["country"] == "FR" and kind != "resale":
        business_process = element(context, "BusinessProcessSpecifiedDocumentContextParameter")
        element(business_process, "ID", _french_billing_frame(invoice, lines))
    element(element(context, "GuidelineSpecifiedDocumentContextParameter"), "ID", GUIDELINE_ID)

    document = element(root, "ExchangedDocument", ns=_RSM)
    element(document, "ID", number)
    element(document, "TypeCode", TYPE_CODES[kind])
    date_time(document, "IssueDateTime", issued_on)
    french_seller = seller_party["country"] == "FR"
    if kind == "resale":
        note = element(document, "IncludedNote")
        element(
            note,
            "Content",
            f"Autofacturation : facture émise par {provider['name']} au nom et pour le compte de "
            f"{customer['name']}."
            if french_seller
            else f"Self-billing: invoice issued by {provider['name']} in the name and on behalf of "
            f"{customer['name']}.",
        )
        element(note, "SubjectCode", "AAI")
    elif french_seller and is_business(buyer):
        for subject, content in _FR_B2B_NOTES:
            note = element(document, "IncludedNote")
            element(note, "Content", content)
            element(note, "SubjectCode", subject)

    transaction = element(root, "SupplyChainTradeTransaction", ns=_RSM)
    for index, line in enumerate(lines, start=1):
        rate = parse_rate(line.get("tax_rate"))
        price = unit_price(line, f"lines[{index - 1}]")
        quantity = _quantity(line.get("quantity"), f"lines[{index - 1}].quantity")
        if price < 0:
            price, quantity = -price, -quantity
        item = element(transaction, "IncludedSupplyChainTradeLineItem")
        element(element(item, "AssociatedDocumentLineDocument"), "LineID", str(index))
        element(element(item, "SpecifiedTradeProduct"), "Name", _text(line.get("description")) or "-")
        agreement = element(item, "SpecifiedLineTradeAgreement")
        element(
            element(agreement, "NetPriceProductTradePrice"), "ChargeAmount", _decimal_text(price, places=2)
        )
        delivery = element(item, "SpecifiedLineTradeDelivery")
        element(
            delivery,
            "BilledQuantity",
            _decimal_text(quantity * sign),
            unitCode=unit_code(line.get("unit")),
        )
        settlement = element(item, "SpecifiedLineTradeSettlement")
        tax = element(settlement, "ApplicableTradeTax")
        element(tax, "TypeCode", "VAT")
        category = categories[rate_text(rate)]
        element(tax, "CategoryCode", category)
        if category != "O":  # BR-O-05: no rate on a line not subject to VAT
            element(tax, "RateApplicablePercent", _decimal_text(rate, places=2))
        summation = element(settlement, "SpecifiedTradeSettlementLineMonetarySummation")
        amount(summation, "LineTotalAmount", line["total_excl_tax_cents"])

    agreement = element(transaction, "ApplicableHeaderTradeAgreement")
    _trade_party(element, element(agreement, "SellerTradeParty"), seller_party, with_vat=not not_subject)
    _trade_party(element, element(agreement, "BuyerTradeParty"), buyer_party, with_vat=not not_subject)
    if _text(invoice.get("order_id")) and kind != "resale":
        element(element(agreement, "SellerOrderReferencedDocument"), "IssuerAssignedID", invoice["order_id"])

    delivery = element(transaction, "ApplicableHeaderTradeDelivery")
    period_start = _optional_date(invoice.get("period_start"), "period_start")
    period_end = _optional_date(invoice.get("period_end"), "period_end")
    if not (period_start or period_end):
        date_time(element(delivery, "ActualDeliverySupplyChainEvent"), "OccurrenceDateTime", issued_on)

    settlement = element(transaction, "ApplicableHeaderTradeSettlement")
    mode = invoice.get("payment_mode") or ""
    if mode not in PAYMENT_MEANS:
        raise InvoiceDataError(f"unknown payment_mode {mode!r}")
    payee_iban = _iban(buyer.get("iban") if kind == "resale" else seller.get("iban"))
    mandate = _text(invoice.get("mandate_reference"))
    if mode == "direct_debit" and _text(seller.get("creditor_id")):
        element(settlement, "CreditorReferenceID", seller["creditor_id"])
    if mode in ("transfer", "tip", "check"):
        element(settlement, "PaymentReference", number)
    element(settlement, "InvoiceCurrencyCode", currency)
    means = element(settlement, "SpecifiedTradeSettlementPaymentMeans")
    means_code = PAYMENT_MEANS[mode]
    if mode in TRANSFER_MEANS and not payee_iban:
        means_code = "1"
    element(means, "TypeCode", means_code)
    debited_iban = _iban(buyer.get("iban")) if mode == "direct_debit" else ""
    if debited_iban:
        element(element(means, "PayerPartyDebtorFinancialAccount"), "IBANID", debited_iban)
    if mode in TRANSFER_MEANS and payee_iban:
        element(element(means, "PayeePartyCreditorFinancialAccount"), "IBANID", payee_iban)

    for group in breakdown:
        tax = element(settlement, "ApplicableTradeTax")
        amount(tax, "CalculatedAmount", group["tax_cents"])
        element(tax, "TypeCode", "VAT")
        category = categories[group["rate"]]
        if category == "O":
            element(tax, "ExemptionReason", NOT_SUBJECT_REASON)
        elif category == "AE":
            element(tax, "ExemptionReason", REVERSE_CHARGE_REASON[seller_party["country"] == "FR"])
        amount(tax, "BasisAmount", group["base_cents"])
        element(tax, "CategoryCode", category)
        if category == "O":
            element(tax, "ExemptionReasonCode", NOT_SUBJECT_REASON_CODE)
        elif category == "AE":
            element(tax, "ExemptionReasonCode", REVERSE_CHARGE_REASON_CODE)
        if category != "O":
            element(tax, "RateApplicablePercent", _decimal_text(parse_rate(group["rate"]), places=2))

    if period_start or period_end:
        period = element(settlement, "BillingSpecifiedPeriod")
        if period_start:
            date_time(period, "StartDateTime", period_start)
        if period_end:
            date_time(period, "EndDateTime", period_end)

    due_on = _optional_date(invoice.get("due_on"), "due_on")
    terms_text = _text(invoice.get("payment_terms"))
    if due_on or terms_text or (mode == "direct_debit" and mandate):
        terms = element(settlement, "SpecifiedTradePaymentTerms")
        if terms_text:
            element(terms, "Description", terms_text)
        if due_on:
            date_time(terms, "DueDateDateTime", due_on)
        if mode == "direct_debit" and mandate:
            element(terms, "DirectDebitMandateID", mandate)

    summation = element(settlement, "SpecifiedTradeSettlementHeaderMonetarySummation")
    prepaid = prepaid_cents(invoice) if kind != "credit_note" and total > 0 else 0
    amount(summation, "LineTotalAmount", sum(line["total_excl_tax_cents"] for line in lines))
    amount(summation, "TaxBasisTotalAmount", invoice["total_excl_tax_cents"])
    amount(summation, "TaxTotalAmount", invoice["tax_cents"], currencyID=currency)
    amount(summation, "GrandTotalAmount", total)
    if prepaid:
        amount(summation, "TotalPrepaidAmount", prepaid)
    amount(summation, "DuePayableAmount", total - prepaid)

    credited = _text(invoice.get("credited_invoice_number"))
    if kind == "credit_note" and credited:
        reference = element(settlement, "InvoiceReferencedDocument")
        element(reference, "IssuerAssignedID", credited)
        credited_on = _optional_date(invoice.get("credited_invoice_issued_on"), "credited_invoice_issued_on")
        if credited_on:
            formatted = element(reference, "FormattedIssueDateTime")
            element(formatted, "DateTimeString", credited_on, ns=_QDT, format="102")

    return etree.tostring(root, xml_declaration=True, encoding="UTF-8", pretty_print=True)


def format_amount(cents: int) -> str:
    """Cents as a decimal with two digits: 123456 → "1234.56", -5 → "-0.05"."""
    sign = "-" if cents < 0 else ""
    units, rest = divmod(abs(cents), 100)
    return f"{sign}{units}.{rest:02d}"


# Parties.


def _party(data: dict[str, Any], *, role: str, default_country: str) -> dict[str, Any]:
    """The fields of one trade party, made printable and with a country code."""
    address = data.get("address") or {}
    country = _text(address.get("country")).upper()
    if len(country) != 2 or not country.isalpha():
        country = default_country
    name = _text(data.get("name"))
    if not name:
        raise InvoiceDataError(f"the {role} has no name")
    return {
        "id": _text(data.get("customer_id")) if role == "customer" else "",
        "name": name,
        "siren": _text(data.get("siren")),
        "vat_number": _text(data.get("vat_number")).replace(" ", "").upper(),
        "email": _text(data.get("email")),
        "line1": _text(address.get("line1")),
        "line2": _text(address.get("line2")),
        "postal_code": _text(address.get("postal_code")),
        "city": _text(address.get("city")),
        "country": country,
    }


def _trade_party(element: Any, node: Any, party: dict[str, Any], *, with_vat: bool) -> None:
    if party["id"]:
        element(node, "ID", party["id"])
    element(node, "Name", party["name"])
    if party["siren"]:
        legal = element(node, "SpecifiedLegalOrganization")
        element(legal, "ID", party["siren"], schemeID="0002")
    address = element(node, "PostalTradeAddress")
    if party["postal_code"]:
        element(address, "PostcodeCode", party["postal_code"])
    if party["line1"]:
        element(address, "LineOne", party["line1"])
    if party["line2"]:
        element(address, "LineTwo", party["line2"])
    if party["city"]:
        element(address, "CityName", party["city"])
    element(address, "CountryID", party["country"])
    if party["email"]:
        element(element(node, "URIUniversalCommunication"), "URIID", party["email"], schemeID="EM")
    if with_vat and party["vat_number"]:
        element(element(node, "SpecifiedTaxRegistration"), "ID", party["vat_number"], schemeID="VA")


def _french_billing_frame(invoice: dict[str, Any], lines: list[dict[str, Any]]) -> str:
    """BT-23 as the French e-invoicing reform reads it (cadre de facturation): B for goods
    (electricity, billed in kWh), S for services, M for both; 1 for an invoice to pay, 2 for
    one already paid when issued."""
    goods = {unit_code(line.get("unit")) == "KWH" for line in lines}
    nature = "M" if len(goods) == 2 else ("B" if True in goods else "S")
    return f"{nature}{2 if is_paid_by_card(invoice) else 1}"


def _category(rate: Decimal, seller_party: dict[str, Any], *, reverse_charge: bool = False) -> str:
    """VAT category (UNCL 5305): S standard rate; at 0 %, AE (reverse charge) on an invoice the
    buyer autoliquidates, Z (zero rated) for a VAT-registered seller, O (not subject to VAT) for
    one without a VAT number, as a private producer selling its surplus."""
    if rate > 0:
        return "S"
    if reverse_charge:
        return "AE"
    return "Z" if seller_party["vat_number"] else "O"


# Values.


def _cents(value: Any, name: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise InvoiceDataError(f"{name} must be an integer number of cents, not {value!r}")
    return value


def _rate(value: Any, name: str) -> Decimal:
    if isinstance(value, (bool, float)):
        raise InvoiceDataError(f"{name} must be a string like '20.0', not {value!r}")
    try:
        rate = Decimal(str(value).strip().replace(",", "."))
    except InvalidOperation:
        raise InvoiceDataError(f"{name} {value!r} is not a rate") from None
    if not rate.is_finite() or rate < 0 or rate > 100:
        raise InvoiceDataError(f"{name} {value!r} is not a rate")
    return rate


def _quantity(value: Any, name: str) -> Decimal:
    if isinstance(value, (bool, float)) or value is None:
        raise InvoiceDataError(f"{name} must be a decimal string like '1' or '342.5', not {value!r}")
    try:
        quantity = Decimal(str(value).strip())
    except InvalidOperation:
        raise InvoiceDataError(f"{name} {value!r} is not a quantity") from None
    if not quantity.is_finite():
        raise InvoiceDataError(f"{name} {value!r} is not a quantity")
    return quantity


def _decimal_text(value: Decimal, places: int = 0) -> str:
    """A decimal without exponent nor useless zeros, with at least `places` decimals."""
    text = format(value.normalize(), "f")
    if places:
        whole, _, fraction = text.partition(".")
        text = f"{whole}.{fraction.ljust(places, '0')}"
    return "0" if text in ("-0", "") else text


def _date102(value: Any, name: str) -> str:
    """A YYYY-MM-DD date as CII format 102 (YYYYMMDD)."""
    import datetime

    text = _text(value)[:10]
    try:
        return datetime.date.fromisoformat(text).strftime("%Y%m%d")
    except ValueError:
        raise InvoiceDataError(f"{name} {value!r} is not a YYYY-MM-DD date") from None


def _optional_date(value: Any, name: str) -> str:
    return _date102(value, name) if _text(value) else ""


def _required(data: dict[str, Any], key: str) -> str:
    value = _text(data.get(key))
    if not value:
        raise InvoiceDataError(f"{key} is missing")
    return value


def _iban(value: Any) -> str:
    return _text(value).replace(" ", "").upper()


def _text(value: Any) -> str:
    """A value as stripped text, None as ""."""
    return "" if value is None else str(value).strip()


def _unfit_for_xml(char: str) -> bool:
    category = unicodedata.category(char)
    return (category == "Cc" and char not in "\t\n") or category == "Cs" or char in "\ufffe\uffff"


def _xml_text(value: Any) -> str:
    """Text XML 1.0 can carry: control characters (other than tab and newline) become spaces."""
    text = str(value)
    return "".join(" " if _unfit_for_xml(char) else char for char in text).strip()
