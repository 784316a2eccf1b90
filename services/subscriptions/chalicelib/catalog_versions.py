"""The catalog as operator data: whole documents, one stored version each, in the service's table.

An operator client with the `catalog:write` scope puts a whole catalog (the schema of
`catalog.json`, validated field by field: `CatalogDocument`); it becomes a new version when it
differs from the current one (a digest of its canonical JSON: the same document twice makes one
version). Version 0 is `catalog.json`, the local default, in force while no version is stored
(`make run`, the services' tests); in a deployment the stored versions are the truth.

| item | pk | sk |
|---|---|---|
| CatalogHead (the current version, its digest) | CATALOG | HEAD |
| CatalogVersion (document, time, client id, offers changed) | CATALOG | VERSION#<000000n> |

A version is written in one transaction with the head, conditional on the head it replaces, so
two operators never make two versions of one number. Products are never deleted: an offer stays
in every later version (a running or ended subscription names it), `withdrawn: true` takes it out
of the public catalog and of new orders (running contracts keep renewing).

Caching (several Lambda containers each hold a copy): documents are immutable, so a container
keeps each version it read for good; the head is read again (one strongly consistent GetItem of
a small item) when the copy is older than `settings.catalog_check_seconds` (5 s by default), and
at once after this container wrote a version. A new version thus reaches every container within
seconds for the cost of one small read per container every few seconds. Prices shown and prices
ordered cannot disagree by more than that window, an order keeps the version it was priced with,
and running contracts are never concerned: their price changes only at a renewal announced a month
ahead (price_changes.py).
"""

from __future__ import annotations

import hashlib
import json
import time
import zlib
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from aws_lambda_powertools import Logger
from guichet_contracts.words import Phrase
from pynamodb.attributes import (
    BinaryAttribute,
    ListAttribute,
    NumberAttribute,
    UnicodeAttribute,
    UTCDateTimeAttribute,
)
from pynamodb.exceptions import DoesNotExist, TransactWriteError

from .errors import Conflict, ValidationFailed
from .models import Item, transaction
from .settings import settings

logger = Logger(child=True)

PK = "CATALOG"
HEAD = "HEAD"
VERSION_PREFIX = "VERSION#"
MAX_DOCUMENT_BYTES = 1024 * 1024  # a whole catalog; compressed, a version item stays far under 400 KB
ATTEMPTS = 3
OFFERS = ("base", "virtual_storage", "surplus_resale", "green")  # what consumption and invoices know
POWERS_KVA = (3, 6, 9, 12, 15, 18, 24, 30, 36)
# the taxes other than VAT an electricity offer states (its prices include them)
ENERGY_TAXES = ("accise_cents_per_kwh", "cta_rate_percent", "cta_base_percent")


# ---- the document --------------------------------------------------------------------------


# what a product left out says, written in so that the catalog's readers find them
LISTED_DEFAULTS = {"commitment_months": 0, "requires_confirmation": False}


def validated(data: Any) -> dict[str, Any]:
    """A catalog document checked field by field, as the plain JSON it is stored as; a 422 names
    every wrong field (`products.<n>.<field>`): the schema's problems, and those between fields
    (a repeated id, what a family's offers must say) of every product the schema takes."""
    from guichet_contracts import validation
    from pydantic import ValidationError

    from .catalog_schema import CatalogDocument, CatalogProduct

    problems: dict[str, Any] = {}
    document = None
    try:
        document = CatalogDocument.model_validate(data)
    except ValidationError as error:
        problems.update(validation.problems(error))
    currency = document.currency if document else (data.get("currency") if isinstance(data, dict) else None)
    raw_products = data.get("products") if isinstance(data, dict) else None
    products: list[dict[str, Any]] = []
    seen: dict[str, int] = {}
    for index, raw in enumerate(raw_products if isinstance(raw_products, list) else []):
        try:
            given = CatalogProduct.model_validate(raw).model_dump(mode="json", exclude_unset=True)
            product = {**LISTED_DEFAULTS, **given}
        except ValidationError:
            continue  # its problems are the document's
        where = f"products.{index}"
        if product["product_id"] in seen:
            problems[f"{where}.product_id"] = Phrase(
                "field.duplicate_product", position=seen[product["product_id"]]
            )
        seen.setdefault(product["product_id"], index)
        product.setdefault("currency", currency)
        if isinstance(currency, str) and product["currency"] != currency:
            problems[f"{where}.currency"] = Phrase("field.one_of", allowed=(currency,))
        for name, problem in _family_problems(product).items():
            problems[f"{where}.{name}"] = problem
        products.append(product)
    if problems or document is None:
        raise ValidationFailed(fields=problems)
    return {"currency": document.currency, "products": products}


def _family_problems(product: dict[str, Any]) -> dict[str, Any]:
    """What a family's offers must say for the services to sell, measure and bill them."""
    family, problems = product["family"], {}

    def required(*names: str) -> None:
        for name in names:
            if product.get(name) is None:
                problems[name] = Phrase("field.missing")

    if family == "electricity":
        required("offer", "reference_power_kva", "energy_rates_cents_per_kwh", "price_cents_by_power_kva")
        required(*ENERGY_TAXES)
        if product.get("offer") is not None and product["offer"] not in OFFERS:
            problems["offer"] = Phrase("field.one_of", allowed=OFFERS)
        by_power = product.get("price_cents_by_power_kva") or {}
        for power in by_power:
            if int(power) not in POWERS_KVA:
                problems[f"price_cents_by_power_kva.{power}"] = Phrase("field.one_of", allowed=POWERS_KVA)
        reference = product.get("reference_power_kva")
        if by_power and reference is not None and by_power.get(str(reference)) != product["price_cents"]:
            problems["price_cents"] = Phrase("field.reference_power_price", power=reference)
        if product.get("offer") == "virtual_storage":
            required("battery_capacity_kwh", "storage_withdrawal_cents_per_kwh")
        if product.get("offer") == "surplus_resale":
            required("resale_rate_cents_per_kwh")
    elif family == "mobile":
        required("allowances", "out_of_plan_cents", "apn")
        units = [allowance["unit"] for allowance in product.get("allowances") or []]
        for unit in units:
            if unit not in (product.get("out_of_plan_cents") or {}):
                problems[f"out_of_plan_cents.{unit}"] = Phrase("field.missing")
    elif family == "hosting":
        required("platform", "storage_mb")
    if family != "electricity":
        energy_only = ("energy_rates_cents_per_kwh", "price_cents_by_power_kva", "reference_power_kva")
        for name in (*energy_only, *ENERGY_TAXES):
            if product.get(name) is not None:
                problems[name] = Phrase("field.extra_forbidden")
    return problems


def canonical(document: dict[str, Any]) -> bytes:
    return json.dumps(document, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def digest(document: dict[str, Any]) -> str:
    return hashlib.sha256(canonical(document)).hexdigest()


# ---- the stored versions ---------------------------------------------------------------------


class CatalogHead(Item, discriminator="catalog_head"):
    version = NumberAttribute()
    digest = UnicodeAttribute()


class CatalogVersion(Item, discriminator="catalog_version"):
    version = NumberAttribute()
    digest = UnicodeAttribute()
    document = BinaryAttribute(legacy_encoding=False)  # zlib of the canonical JSON
    created_at = UTCDateTimeAttribute()
    client_id = UnicodeAttribute()  # the operator client (token `sub`) that put it
    changed = ListAttribute(of=UnicodeAttribute)  # product ids added, changed or withdrawn


@dataclass(frozen=True)
class Catalog:
    version: int
    digest: str | None  # None for catalog.json's: computed when asked (catalog_digest)
    currency: str
    products: dict[str, dict[str, Any]]  # by product id, each with its currency
    document: dict[str, Any]


def version_key(version: int) -> str:
    return f"{VERSION_PREFIX}{version:09d}"


def _catalog(version: int, document: dict[str, Any], document_digest: str | None = None) -> Catalog:
    currency = document.get("currency", "EUR")
    return Catalog(
        version=version,
        digest=document_digest or digest(document),
        currency=currency,
        products={item["product_id"]: {"currency": currency, **item} for item in document["products"]},
        document=document,
    )


_loaded: dict[int, Catalog] = {}  # versions are immutable: kept for the container's life
_head: tuple[float, int] | None = None  # (monotonic time read, version)


def _file_catalog() -> Catalog:
    """catalog.json as it is, with what a product left out says written in: read without pydantic
    (the routes and events that only read the catalog do not pay for its import)."""
    if 0 not in _loaded:
        document = json.loads(settings.catalog_file.read_text(encoding="utf-8"))
        currency = document.get("currency", "EUR")
        _loaded[0] = Catalog(
            version=0,
            digest=None,
            currency=currency,
            products={
                item["product_id"]: {**LISTED_DEFAULTS, "currency": currency, **item}
                for item in document["products"]
            },
            document=document,
        )
    return _loaded[0]


def catalog_digest(catalog: Catalog) -> str:
    """The digest of a version's document; catalog.json's normalised as a document an operator
    puts, so that putting the file's own content back makes no version."""
    if catalog.digest is not None:
        return catalog.digest
    return digest(validated(catalog.document))


def load(version: int) -> Catalog:
    """One version (0: catalog.json); an unknown one is a bug, not a request error."""
    if version == 0:
        return _file_catalog()
    if version not in _loaded:
        item = CatalogVersion.get(PK, version_key(version))
        _loaded[version] = _catalog(
            version, json.loads(zlib.decompress(item.document)), document_digest=item.digest
        )
    return _loaded[version]


def current_version() -> int:
    global _head
    clock = time.monotonic()
    if _head is None or clock - _head[0] >= settings.catalog_check_seconds:
        try:
            version = int(CatalogHead.get(PK, HEAD, consistent_read=True).version)
        except DoesNotExist:
            version = 0
        _head = (clock, version)
    return _head[1]


def current() -> Catalog:
    return load(current_version())


def forget_head() -> None:
    """Read the head again on next use (after a write of this container)."""
    global _head
    _head = None


@dataclass(frozen=True)
class Stored:
    catalog: Catalog
    created: bool
    item: CatalogVersion | None


def store(document: dict[str, Any], *, client_id: str, now: datetime) -> Stored:
    """A validated document as the next version, or the current one when it is the same."""
    from .catalog_schema import MAX_PRODUCTS

    if len(canonical(document)) > MAX_DOCUMENT_BYTES:
        raise ValidationFailed(fields={"products": Phrase("field.too_long", max_length=MAX_PRODUCTS)})
    wanted = digest(document)
    for _ in range(ATTEMPTS):
        forget_head()
        previous = current()
        if catalog_digest(previous) == wanted:
            return Stored(previous, created=False, item=version_summary(previous.version))
        missing = [
            pid for pid in previous.products if pid not in {p["product_id"] for p in document["products"]}
        ]
        if missing:
            raise ValidationFailed(
                fields={"products": Phrase("field.products_kept", missing=", ".join(missing))}
            )
        _check_kept_terms(previous, document)
        version = previous.version + 1
        item = CatalogVersion(
            PK,
            version_key(version),
            version=version,
            digest=wanted,
            document=zlib.compress(canonical(document)),
            created_at=now,
            client_id=client_id,
            changed=changed_products(previous.products, document["products"]),
        )
        head = CatalogHead(PK, HEAD, version=version, digest=wanted)
        try:
            with transaction() as write:
                write.save(item, condition=CatalogVersion.pk.does_not_exist())
                if previous.version == 0:
                    write.save(head, condition=CatalogHead.pk.does_not_exist())
                else:
                    write.save(head, condition=CatalogHead.version == previous.version)
        except TransactWriteError:
            continue  # another operator wrote a version meanwhile: compare with it
        forget_head()
        logger.info(
            "catalog version stored",
            extra={"version": version, "client_id": client_id, "changed": list(item.changed)},
        )
        return Stored(_catalog(version, document, document_digest=wanted), created=True, item=item)
    raise Conflict(fields={"version": Phrase("field.status_changed")})


def _check_kept_terms(previous: Catalog, document: dict[str, Any]) -> None:
    """A product keeps its family and billing period from version to version: its subscriptions
    are of that family and period (another offer is another product)."""
    problems = {
        f"products.{index}.{name}": Phrase("field.protected")
        for index, item in enumerate(document["products"])
        if item["product_id"] in previous.products
        for name in ("family", "billing_period")
        if item[name] != previous.products[item["product_id"]][name]
    }
    if problems:
        raise ValidationFailed(fields=problems)


def changed_products(before: dict[str, dict[str, Any]], after: list[dict[str, Any]]) -> list[str]:
    """The product ids a version adds or changes (withdrawing one changes it)."""
    return [item["product_id"] for item in after if before.get(item["product_id"]) != item]


def with_product(product: dict[str, Any]) -> dict[str, Any]:
    """The current document with one product put in place (added at the end if new)."""
    base = current().document
    products = [item for item in base["products"]]
    for index, item in enumerate(products):
        if item["product_id"] == product["product_id"]:
            products[index] = product
            break
    else:
        products.append(product)
    return {**base, "products": products}


def version_summary(version: int) -> CatalogVersion | None:
    """What the history says of a version (None for catalog.json's)."""
    if version == 0:
        return None
    return CatalogVersion.get(PK, version_key(version), attributes_to_get=_SUMMARY)


_SUMMARY = ["pk", "sk", "type", "version", "digest", "created_at", "client_id", "changed"]


def history(
    *, limit: int, cursor: dict[str, Any] | None
) -> tuple[list[CatalogVersion], dict[str, Any] | None]:
    """The stored versions, newest first, without their documents."""
    page = CatalogVersion.query(
        PK,
        CatalogVersion.sk.startswith(VERSION_PREFIX),
        scan_index_forward=False,
        limit=limit,
        last_evaluated_key=cursor,
        attributes_to_get=_SUMMARY,
    )
    items = list(page)
    return items, page.last_evaluated_key


def summary(version: int, document_digest: str, item: CatalogVersion | None) -> dict[str, Any]:
    """A version as the operator routes answer it (version 0, catalog.json, has no author)."""
    return {
        "version": version,
        "digest": document_digest,
        "created_at": item.created_at.isoformat() if item else None,
        "client_id": item.client_id if item else None,
        "changed": list(item.changed) if item else [],
    }
