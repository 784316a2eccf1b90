"""A customer's contacts: CRUD, roles, the limit of 20, object-level authorization (point 11)."""

from __future__ import annotations

import pytest
from conftest import assert_documented, assert_error, call, unique_email, unique_phone


def _add(client, someone, **fields):
    body = {"name": "Compta", "roles": ["billing"], **fields}
    return call(client, "POST", "/me/contacts", body, token=someone.access_token)


def _listed(client, someone):
    response = call(client, "GET", "/me/contacts", token=someone.access_token)
    assert response.status_code == 200, response.body
    assert_documented("GET", "/me/contacts", response)
    assert response.json_body["next_cursor"] is None
    return {item["contact_id"]: item for item in response.json_body["items"]}


def test_a_contact_can_be_added_read_changed_and_removed(client, customer):
    national, e164 = unique_phone()
    email = unique_email("compta")

    # When adding a contact
    added = _add(
        client,
        customer,
        name="Service compta",
        email=email.upper(),
        phone=national,
        roles=["billing", "admin"],
    )

    # Then 201 with the contact, normalised
    assert added.status_code == 201, added.body
    assert_documented("POST", "/me/contacts", added)
    contact = added.json_body
    assert contact["name"] == "Service compta"
    assert contact["email"] == email
    assert contact["phone"] == e164
    assert sorted(contact["roles"]) == ["admin", "billing"]
    contact_id = contact["contact_id"]
    # and it is listed and readable
    assert _listed(client, customer) == {contact_id: contact}
    read = call(client, "GET", f"/me/contacts/{contact_id}", token=customer.access_token)
    assert read.status_code == 200
    assert_documented("GET", "/me/contacts/{contact_id}", read)
    assert read.json_body == contact

    # When changing it
    changed = call(
        client,
        "PATCH",
        f"/me/contacts/{contact_id}",
        {"name": "Support", "roles": ["technical"], "phone": None},
        token=customer.access_token,
    )

    # Then the change shows in the answer and in later reads
    assert changed.status_code == 200, changed.body
    assert_documented("PATCH", "/me/contacts/{contact_id}", changed)
    expected = {**contact, "name": "Support", "roles": ["technical"], "phone": None, "phone_display": None}
    assert changed.json_body == expected
    assert (
        call(client, "GET", f"/me/contacts/{contact_id}", token=customer.access_token).json_body == expected
    )

    # When removing it
    removed = call(client, "DELETE", f"/me/contacts/{contact_id}", token=customer.access_token)

    # Then it is gone
    assert removed.status_code == 204
    assert_documented("DELETE", "/me/contacts/{contact_id}", removed)
    gone = call(client, "GET", f"/me/contacts/{contact_id}", token=customer.access_token)
    assert_error(gone, 404, "not_found")
    assert_documented("GET", "/me/contacts/{contact_id}", gone)
    assert _listed(client, customer) == {}
    assert_error(
        call(client, "DELETE", f"/me/contacts/{contact_id}", token=customer.access_token), 404, "not_found"
    )


def test_duplicate_roles_are_kept_once(client, customer):
    added = _add(client, customer, roles=["technical", "billing", "technical"])

    assert added.status_code == 201, added.body
    assert sorted(added.json_body["roles"]) == ["billing", "technical"]


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"roles": ["owner"]}, "roles"),
        ({"roles": ["admin", "superuser"]}, "roles"),
        ({"roles": []}, "roles"),
        ({"roles": "admin"}, "roles"),
        ({"roles": None}, "roles"),
        ({"name": ""}, "name"),
        ({"email": "not an email"}, "email"),
        ({"phone": "123"}, "phone"),
        ({"contact_id": "mine"}, "contact_id"),
    ],
)
def test_invalid_contacts_are_refused(client, customer, fields, field):
    response = _add(client, customer, **fields)

    assert_error(response, 422, "validation_failed", fields=(field,))
    assert_documented("POST", "/me/contacts", response)
    assert _listed(client, customer) == {}


def test_invalid_changes_are_refused_and_the_contact_kept(client, customer):
    contact = _add(client, customer).json_body
    path = f"/me/contacts/{contact['contact_id']}"

    for changes, field in (
        ({"roles": ["owner"]}, "roles"),
        ({"name": None}, "name"),
        ({"roles": None}, "roles"),
    ):
        response = call(client, "PATCH", path, changes, token=customer.access_token)
        assert_error(response, 422, "validation_failed", fields=(field,))

    assert call(client, "GET", path, token=customer.access_token).json_body == contact


def test_a_customer_has_at_most_20_contacts(client, customer):
    # Given 20 contacts
    ids = []
    for n in range(20):
        response = _add(client, customer, name=f"Contact {n}")
        assert response.status_code == 201, (n, response.body)
        ids.append(response.json_body["contact_id"])

    # When adding a 21st / Then 409 and it is not kept
    refused = _add(client, customer, name="One too many")
    assert_error(refused, 409, "contact_limit_reached")
    assert_documented("POST", "/me/contacts", refused)
    assert set(_listed(client, customer)) == set(ids)

    # When one is removed / Then another fits, and only one
    assert call(client, "DELETE", f"/me/contacts/{ids[0]}", token=customer.access_token).status_code == 204
    assert _add(client, customer, name="Replacement").status_code == 201
    assert_error(_add(client, customer, name="Again too many"), 409, "contact_limit_reached")
    assert len(_listed(client, customer)) == 20


def test_another_customers_contact_is_a_404_and_stays_unchanged(client, customer, other_customer):
    # Given a contact of customer A
    contact = _add(client, customer, name="A's accountant", email=unique_email()).json_body
    path = f"/me/contacts/{contact['contact_id']}"
    unknown = "/me/contacts/0123456789ab"

    # When customer B reads, changes or removes it
    attempts = {
        "GET": call(client, "GET", path, token=other_customer.access_token),
        "PATCH": call(
            client, "PATCH", path, {"name": "Hijacked", "roles": ["admin"]}, token=other_customer.access_token
        ),
        "DELETE": call(client, "DELETE", path, token=other_customer.access_token),
    }

    # Then each is the same 404 as for a contact that does not exist
    for method, response in attempts.items():
        assert_error(response, 404, "not_found")
        body = {"name": "x", "roles": ["admin"]} if method == "PATCH" else None
        assert (
            response.json_body
            == call(client, method, unknown, body, token=other_customer.access_token).json_body
        )
    # and A's contact is untouched and still A's only
    assert call(client, "GET", path, token=customer.access_token).json_body == contact
    assert _listed(client, customer) == {contact["contact_id"]: contact}
    assert _listed(client, other_customer) == {}


def test_a_contacts_phone_is_given_as_people_write_it(client, customer):
    added = _add(client, customer, name="Compta", phone="+33320123456", roles=["billing"]).json_body

    assert (added["phone"], added["phone_display"]) == ("+33320123456", "03 20 12 34 56")
