"""The catalog in force: the current stored version (catalog_versions.py), `catalog.json` while
none is stored. A withdrawn product is still found by id (running contracts name it) but is
neither listed nor orderable."""

from __future__ import annotations

from typing import Any

from guichet_contracts.words import Phrase

from .errors import UnknownProduct

PUBLIC_FIELDS = (
    "product_id",
    "family",
    "name",
    "description",
    "price_cents",
    "currency",
    "billing_period",
    "commitment_months",
)


def _products() -> dict[str, dict[str, Any]]:
    from . import catalog_versions

    return catalog_versions.current().products


def version() -> int:
    """The catalog version in force (0: catalog.json)."""
    from . import catalog_versions

    return catalog_versions.current_version()


def product(product_id: str, *, version: int | None = None) -> dict[str, Any]:
    """A product of the catalog in force (or of one version), withdrawn or not."""
    from . import catalog_versions

    products = _products() if version is None else catalog_versions.load(version).products
    found = products.get(product_id)
    if found is None:
        raise UnknownProduct(fields={"product_id": Phrase("field.not_in_catalog")})
    return found


def orderable(product_id: str, *, version: int | None = None) -> dict[str, Any]:
    """A product a customer may order or change to now: in the catalog and not withdrawn."""
    found = product(product_id, version=version)
    if found.get("withdrawn"):
        raise UnknownProduct(fields={"product_id": Phrase("field.product_withdrawn")})
    return found


def auto_renews(product: dict[str, Any]) -> bool:
    """Whether a subscription to the product renews by itself, by the offer's terms: monthly offers
    and energy do (energy runs until cancelled), yearly ones do not unless the catalog says so."""
    stated = product.get("auto_renew")
    if stated is not None:
        return bool(stated)
    return product["billing_period"] == "month" or product["family"] == "electricity"


def price_cents(product: dict[str, Any], options: dict[str, Any]) -> int:
    """The price of a period (tax included); an electricity offer's depends on the subscribed power."""
    by_power = product.get("price_cents_by_power_kva")
    power = options.get("subscribed_power_kva")
    if by_power and power is not None:
        if str(power) not in by_power:
            raise UnknownProduct(
                fields={"subscribed_power_kva": Phrase("field.power_not_offered", product=product["name"])}
            )
        return int(by_power[str(power)])
    return int(product["price_cents"])


def listing(family: str | None) -> list[dict[str, Any]]:
    return [
        {name: item.get(name) for name in PUBLIC_FIELDS} | _extras(item)
        for item in _products().values()
        if (family is None or item["family"] == family) and not item.get("withdrawn")
    ]


def _extras(item: dict[str, Any]) -> dict[str, Any]:
    """Offer details a customer compares on (battery, resale rate, allowances, storage), and what
    a line is set up with (a mobile plan's network APN)."""
    extras = {}
    for name in (
        "offer",
        "battery_capacity_kwh",
        "resale_rate_cents_per_kwh",
        "allowances",
        "storage_mb",
        "energy_rates_cents_per_kwh",
        "price_cents_by_power_kva",
        "apn",
    ):
        if item.get(name) is not None:
            extras[name] = item[name]
    return extras


TARIFF_FIELDS = (
    "energy_rates_cents_per_kwh",
    "battery_capacity_kwh",
    "storage_withdrawal_cents_per_kwh",
    "resale_rate_cents_per_kwh",
    "allowances",
    "out_of_plan_cents",
    "accise_cents_per_kwh",
    "cta_rate_percent",
    "cta_base_percent",
)


def tariff(product_id: str, *, version: int | None = None) -> dict[str, Any]:
    """What a product's usage is measured and priced with (energy rates, battery, resale rate,
    allowances), carried by the subscription events so that consumption keeps its own copy."""
    from . import catalog_versions

    products = _products() if version is None else catalog_versions.load(version).products
    return product_tariff(products.get(product_id) or {})


def product_tariff(item: dict[str, Any]) -> dict[str, Any]:
    return {name: item[name] for name in TARIFF_FIELDS if item.get(name) is not None}
