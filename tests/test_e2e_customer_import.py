"""Customers imported by the provider, end to end over HTTP on the local runtime (issue 12).

The provider's systems send a small CSV file with an operator token; the `apply_customer_imports`
job applies it; each customer finds the invitation in the local mailbox, with the customer id,
activates the account through the link (the portal's `activate` page posts to
/auth/activate) and logs in with the customer id. A bad row is reported by its line number.
"""

from __future__ import annotations

import re
import uuid
from typing import Any

PASSWORD = "a long and personal passphrase 2026"


def operator_headers(runtime: Any, content_type: str | None = None) -> dict[str, str]:
    from guichet_local.operator_token import local_token

    headers = {"Authorization": f"Bearer {local_token(runtime.port, ['customers:write'])}"}
    if content_type:
        headers["Content-Type"] = content_type
    return headers


def finished(runtime: Any, import_id: str) -> Any:
    """The report of an import once its job is done."""
    from conftest import eventually

    def done() -> Any:
        answer = runtime.get(
            f"/auth/operator/customers/imports/{import_id}",
            headers={**operator_headers(runtime), "Accept-Language": "en"},
        )
        assert answer.status_code == 200, answer.text
        return answer if answer.json()["status"] == "done" else None

    report = eventually(done, timeout=60)
    assert report is not None, f"the import {import_id} is not done after a minute"
    return report


def test_an_imported_customer_activates_through_the_mailed_link_and_logs_in_with_the_customer_id(
    runtime: Any,
) -> None:
    # Given a CSV file of the provider's customers, one of them with a wrong email
    tag = uuid.uuid4().hex[:8]
    email = f"imported-{tag}@example.org"
    content = (
        "external_id,email,first_name,last_name,language,address_line1,address_postal_code,address_city,address_country\n"
        f"crm-{tag}-1,{email},Agnès,Lemoine,en,3 place du Théâtre,59800,Lille,FR\n"
        f"crm-{tag}-2,not an email,Bob,Bad,en,,,,\n"
    )

    # When it is imported and the job applies it
    submitted = runtime.post(
        "/auth/operator/customers/imports",
        data=content.encode(),
        headers=operator_headers(runtime, "text/csv"),
    )
    assert submitted.status_code == 202, submitted.text
    import_id = submitted.json()["import_id"]
    ran = runtime.job("auth.apply_customer_imports", at=runtime.now().strftime("%Y-%m-%dT%H:%M:%SZ"))
    assert ran.returncode == 0, ran.stderr

    # Then the report names each line (the runtime's own schedule may have run the job first)
    report = finished(runtime, import_id)
    lines = {line["line"]: line for line in report.json()["items"]}
    assert report.json()["status"] == "done"
    assert lines[2]["status"] == "created"
    assert lines[3] == {
        "line": 3,
        "external_id": f"crm-{tag}-2",
        "status": "rejected",
        "fields": {"email": "is not a valid email address"},
    }
    customer_id = lines[2]["customer_id"]

    # And the invitation is in the mailbox, with the customer id and the link
    mails = [mail for mail in runtime.mail() if email in mail["to"]]
    assert len(mails) == 1
    assert customer_id in mails[0]["text"]
    link = re.search(r"/activate\?token=([A-Za-z0-9_-]+)", mails[0]["text"])
    assert link, mails[0]["text"]

    # And until then the customer cannot log in
    assert runtime.post("/auth/login", json={"login": customer_id, "password": PASSWORD}).status_code == 401

    # When the customer opens the link's page and chooses a password
    assert runtime.get(f"/activate?token={link.group(1)}").status_code == 200
    activated = runtime.post("/auth/activate", json={"token": link.group(1), "password": PASSWORD})
    assert activated.status_code == 200, activated.text

    # Then they log in with their customer id and see their profile
    session = runtime.post("/auth/login", json={"login": customer_id, "password": PASSWORD})
    assert session.status_code == 200, session.text
    me = runtime.get("/auth/me", headers={"Authorization": f"Bearer {session.json()['access_token']}"})
    assert (me.json()["first_name"], me.json()["address"]["city"]) == ("Agnès", "Lille")

    # And importing the same file again changes nothing and mails nobody
    again = runtime.post(
        "/auth/operator/customers/imports",
        data=content.encode(),
        headers=operator_headers(runtime, "text/csv"),
    )
    assert runtime.job("auth.apply_customer_imports").returncode == 0
    second = finished(runtime, again.json()["import_id"])
    assert (second.json()["unchanged"], second.json()["rejected"], second.json()["invitations_sent"]) == (
        1,
        1,
        0,
    )
    assert len([mail for mail in runtime.mail() if email in mail["to"]]) == 1
