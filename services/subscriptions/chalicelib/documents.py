"""Contract documents (contract, general terms, proof of address, the written confirmation of a
cancellation) as PDFs in S3, behind short links.

A document is rendered from the subscription and the customer's copy the first time it is
asked for and stored in the service's private bucket; later requests link to the stored file.
The contract and the terms never change once stored. The proof of address certifies what the
customer's copy says today, so its key names the day and a digest of everything it is made
from: a move (or any change it shows) the same day gives a new PDF, while the same content is
linked again. A cancellation's confirmation exists once the customer asked for one here, until it
is withdrawn; it is made when asked (and attached to the mail confirming it), its key naming the
request, so that a cancellation withdrawn and asked again has its own. Links are presigned GETs
of at most 300 seconds, issued only to the subscription's owner.
"""

from __future__ import annotations

import hashlib
import json
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING, Any

from guichet_contracts.brand import load_brand
from guichet_contracts.words import Phrase

from . import customers, subscriptions
from .errors import AddressMissing, ForbiddenTransition, NotFound, ProfileUnavailable
from .settings import settings

if TYPE_CHECKING:
    from .models import Customer, Subscription

LINK_SECONDS = 300
KINDS = ("contract", "terms", "proof_of_address", "cancellation")
# A proof of address certifies where a service is delivered: a mobile line is delivered nowhere.
NO_PROOF_OF_ADDRESS = ("mobile",)
_client: Any = None


def _s3() -> Any:
    global _client
    if _client is None:
        import boto3

        _client = boto3.client("s3")
    return _client


def listing(customer_id: str, subscription_id: str, language: str) -> list[dict[str, str]]:
    from .pdf_documents import title

    subscription = subscriptions.get(customer_id, subscription_id)  # 404 for another customer's id
    return [{"kind": kind, "title": title(kind, language)} for kind in kinds_of(subscription)]


def kinds_of(subscription: Subscription) -> tuple[str, ...]:
    """The documents a subscription has: a proof of address unless its family is delivered nowhere,
    a cancellation's confirmation while a cancellation asked for here stands."""
    return tuple(kind for kind in KINDS if _has(kind, subscription))


def _has(kind: str, subscription: Subscription) -> bool:
    if kind == "proof_of_address":
        return subscription.family not in NO_PROOF_OF_ADDRESS
    if kind == "cancellation":
        return bool(subscription.cancel_at and subscription.cancellation)
    return True


def link(
    customer_id: str, subscription_id: str, kind: str, *, language: str, now: datetime, today: date
) -> dict[str, str]:
    if kind not in KINDS:
        raise NotFound()
    subscription = subscriptions.get(customer_id, subscription_id)
    if kind not in kinds_of(subscription):
        raise NotFound()
    customer = customers.get(customer_id)
    if customer is None:
        raise ProfileUnavailable()
    if kind == "cancellation":
        cancellation_confirmation(subscription, customer, language=language, today=today)
        return _link(_s3(), _cancellation_key(subscription, language), _disposition(kind, subscription), now)
    if kind == "proof_of_address" and subscription.status not in ("active", "suspended"):
        raise ForbiddenTransition(
            fields={"status": Phrase("field.status_no_proof", status=subscription.status)}
        )
    made_from: dict[str, Any] = {
        # with the terms it was made on (its kWh rates, battery, buy-back rate), which its contract states
        "subscription": {**subscriptions.as_dict(subscription, detail=True), "tariff": subscription.tariff},
        "customer": customers.as_document_data(customer),
        "language": language,
    }
    # the provider's identity is the brand's (guichet_contracts.brand): a new one, a new proof
    signed_by = {**made_from, "provider": load_brand().legal.model_dump()}
    version = f"-{today.isoformat()}-{_digest(signed_by)}" if kind == "proof_of_address" else ""
    key = f"documents/{customer_id}/{subscription_id}/{kind}{version}-{language}.pdf"
    client = _s3()
    if not _exists(client, key):
        from .pdf_documents import AddressMissing as NoAddress
        from .pdf_documents import render

        try:
            content = render(kind, **made_from, today=today)
        except NoAddress:
            raise AddressMissing() from None
        _store(client, key, content)
    return _link(client, key, _disposition(kind, subscription), now)


def cancellation_confirmation(
    subscription: Subscription, customer: Customer, *, language: str, today: date
) -> bytes:
    """The written confirmation of the cancellation the customer asked for, made the first time
    it is asked for (dated that day) and read back from the bucket afterwards."""
    from .pdf_documents import render

    key = _cancellation_key(subscription, language)
    client = _s3()
    try:
        return bytes(client.get_object(Bucket=settings.documents_bucket, Key=key)["Body"].read())
    except client.exceptions.NoSuchKey:
        pass
    subscription_data = subscriptions.as_dict(subscription, detail=True)
    content = render(
        "cancellation",
        subscription={**subscription_data, "cancellation": subscription.cancellation},
        customer=customers.as_document_data(customer),
        language=language,
        today=today,
    )
    _store(client, key, content)
    return content


def _cancellation_key(subscription: Subscription, language: str) -> str:
    """A cancellation's confirmation is named after the request: asked again, another one."""
    request = _digest({"cancel_at": subscription.cancel_at, **(subscription.cancellation or {})})
    folder = f"documents/{subscription.customer_id}/{subscription.subscription_id}"
    return f"{folder}/cancellation-{request}-{language}.pdf"


def _disposition(kind: str, subscription: Subscription) -> str:
    return f'attachment; filename="{kind}-{subscription.dossier_number}.pdf"'


def _store(client: Any, key: str, content: bytes) -> None:
    client.put_object(
        Bucket=settings.documents_bucket,
        Key=key,
        Body=content,
        ContentType="application/pdf",
        ServerSideEncryption="AES256",
    )


def _link(client: Any, key: str, disposition: str, now: datetime) -> dict[str, str]:
    url = client.generate_presigned_url(
        "get_object",
        Params={
            "Bucket": settings.documents_bucket,
            "Key": key,
            "ResponseContentDisposition": disposition,
            "ResponseContentType": "application/pdf",
        },
        ExpiresIn=LINK_SECONDS,
    )
    expires_at = (now + timedelta(seconds=LINK_SECONDS)).strftime("%Y-%m-%dT%H:%M:%SZ")
    return {"url": url, "expires_at": expires_at}


def terms_of_sale_link(*, language: str, now: datetime, today: date) -> dict[str, str]:
    """A short link to the brand's terms of sale in force, before any subscription exists (the
    checkout asks the customer to accept them): rendered once per version and language."""
    from .pdf_documents import render_terms_of_sale

    brand = load_brand()
    version = brand.terms_of_sale.version
    made_from = _digest({"version": version, "legal": brand.legal.model_dump()})
    key = f"documents/terms-of-sale/{made_from}-{language}.pdf"
    client = _s3()
    if not _exists(client, key):
        _store(client, key, render_terms_of_sale(language=language, today=today, brand=brand))
    return {**_link(client, key, f'inline; filename="terms-{language}.pdf"', now), "version": version}


def _digest(made_from: dict[str, Any]) -> str:
    """A short digest of a document's inputs: equal inputs, equal key (and the same bytes)."""
    canonical = json.dumps(made_from, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(canonical.encode()).hexdigest()[:16]


def _exists(client: Any, key: str) -> bool:
    try:
        client.head_object(Bucket=settings.documents_bucket, Key=key)
    except client.exceptions.ClientError as error:
        if error.response.get("Error", {}).get("Code") in ("404", "NoSuchKey", "NotFound"):
            return False
        raise
    return True
