"""A customer's contacts (admin, billing, technical), at most 20 per account.

The limit holds under concurrency: adding a contact increments a counter item with a
condition, in the same transaction as the contact.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from guichet_contracts.words import Phrase
from pynamodb.exceptions import DoesNotExist, TransactWriteError

from .errors import ContactLimitReached, NotFound, ValidationFailed
from .models import Contact, ContactCount, contact_key, transaction

MAX_CONTACTS = 20


def _counter(customer_id: str) -> ContactCount:
    return ContactCount(f"CUSTOMER#{customer_id}", "CONTACTS")


def as_dict(contact: Contact) -> dict[str, Any]:
    from .schemas import display_phone

    return {
        "contact_id": contact.contact_id,
        "name": contact.name,
        "email": contact.email,
        "phone": contact.phone,
        "phone_display": display_phone(contact.phone),
        "roles": list(contact.roles),
    }


def listing(customer_id: str) -> list[dict[str, Any]]:
    return [
        as_dict(contact)
        for contact in Contact.query(f"CUSTOMER#{customer_id}", Contact.sk.startswith("CONTACT#"))
    ]


def get(customer_id: str, contact_id: str) -> Contact:
    try:
        return Contact.get(*contact_key(customer_id, contact_id))
    except DoesNotExist:
        raise NotFound() from None


def add(customer_id: str, body: Any, *, now: datetime) -> Contact:
    contact_id = uuid.uuid4().hex[:12]
    contact = Contact(
        *contact_key(customer_id, contact_id),
        contact_id=contact_id,
        name=body.name,
        email=body.email,
        phone=body.phone,
        roles=sorted(set(body.roles)),
        created_at=now,
    )
    counter = _counter(customer_id)
    try:
        with transaction() as write:
            write.update(
                counter,
                actions=[ContactCount.contacts.add(1)],
                condition=ContactCount.contacts.does_not_exist() | (ContactCount.contacts < MAX_CONTACTS),
            )
            write.save(contact, condition=Contact.pk.does_not_exist())
    except TransactWriteError:
        raise ContactLimitReached() from None
    return contact


def change(customer_id: str, contact_id: str, changes: Any) -> Contact:
    contact = get(customer_id, contact_id)
    given = changes.model_dump(exclude_unset=True)
    actions = []
    required = [name for name in ("name", "roles") if name in given and given[name] is None]
    if required:
        raise ValidationFailed(fields={name: Phrase("field.empty") for name in required})
    for name, value in given.items():
        attribute = getattr(Contact, name)
        if name == "roles":
            actions.append(attribute.set(sorted(set(value))))
        elif value is None:
            actions.append(attribute.remove())
        else:
            actions.append(attribute.set(value))
    if actions:
        try:
            contact.update(actions=actions, condition=Contact.pk.exists())
        except Exception:
            raise NotFound() from None
    return contact


def remove(customer_id: str, contact_id: str) -> None:
    try:
        with transaction() as write:
            write.delete(Contact(*contact_key(customer_id, contact_id)), condition=Contact.pk.exists())
            write.update(_counter(customer_id), actions=[ContactCount.contacts.add(-1)])
    except TransactWriteError:
        raise NotFound() from None
