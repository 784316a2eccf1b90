"""The auth flow of issue 2, end to end over HTTP on the local runtime, as a person with curl would.

Given the runtime of `make run` (without demo data), a newcomer registers, reads the mailbox,
verifies, logs in with customer id, email and phone, reads the profile, refreshes, sees a
replayed refresh token revoke its family, resets a forgotten password, changes the email with
the mailed code, and has another change applied by the scheduled job 25 h after the request.
"""

from __future__ import annotations

import re
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

PASSWORD = "a long and personal passphrase 2026"
NEW_PASSWORD = "quite another passphrase, longer 2027"


def newest_mail_to(runtime: Any, address: str) -> dict[str, Any]:
    mails = [mail for mail in runtime.mail() if address in mail["to"]]
    assert mails, f"no mail to {address} in the local mailbox"
    return mails[0]


def link_token(mail: dict[str, Any]) -> str:
    match = re.search(r"token=([A-Za-z0-9_-]+)", mail["text"])
    assert match, mail["text"]
    return match.group(1)


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def login(runtime: Any, login_name: str, password: str) -> Any:
    return runtime.post("/auth/login", json={"login": login_name, "password": password})


def test_a_newcomer_goes_through_the_whole_auth_flow(runtime: Any) -> None:
    email = f"e2e-{uuid.uuid4().hex[:8]}@example.org"
    # a fixed, valid mobile number: no other account of the local tier has a phone
    phone_national = "06 47 28 45 67"

    # register → the mailbox has the verification link and the customer id
    answer = runtime.post(
        "/auth/register",
        json={
            "email": email,
            "password": PASSWORD,
            "first_name": "Élodie",
            "last_name": "Œuvray",
            "phone": phone_national,
            "language": "en",
        },
    )
    assert answer.status_code == 201, answer.text
    registered = answer.json()
    customer_id = registered["customer_id"]
    assert re.fullmatch(r"eo[0-9]{6}-[A-Z0-9]{2,10}", customer_id)
    assert registered["status"] == "pending_verification"
    welcome = newest_mail_to(runtime, email)
    assert customer_id in welcome["text"] and customer_id in welcome["html"]

    # not verified yet: the right password is told so, and only then
    assert login(runtime, email, PASSWORD).json()["error"]["code"] == "email_not_verified"
    verified = runtime.post("/auth/verify-email", json={"token": link_token(welcome)})
    assert verified.status_code == 200
    assert verified.json() == {"customer_id": customer_id, "status": "active"}

    # log in with the customer id (any case), the email and the phone
    for login_name in (customer_id.upper(), email.upper(), phone_national):
        answer = login(runtime, login_name, PASSWORD)
        assert answer.status_code == 200, (login_name, answer.text)
        assert answer.json()["token_type"] == "Bearer"
    tokens = answer.json()

    profile = runtime.get("/auth/me", headers=bearer(tokens["access_token"]))
    assert profile.status_code == 200
    assert profile.json()["customer_id"] == customer_id
    assert profile.json()["phone"].startswith("+336")

    # refresh rotates; a second tab refreshing with the same token at once gets the same successor
    rotated = runtime.post("/auth/refresh", json={"refresh_token": tokens["refresh_token"]})
    assert rotated.status_code == 200
    second_tab = runtime.post("/auth/refresh", json={"refresh_token": tokens["refresh_token"]})
    assert second_tab.status_code == 200
    assert second_tab.json()["refresh_token"] == rotated.json()["refresh_token"]
    # once that successor was used, replaying the old refresh token revokes the whole family
    newest = runtime.post("/auth/refresh", json={"refresh_token": rotated.json()["refresh_token"]})
    assert newest.status_code == 200
    replay = runtime.post("/auth/refresh", json={"refresh_token": tokens["refresh_token"]})
    assert replay.status_code == 401
    after = runtime.post("/auth/refresh", json={"refresh_token": newest.json()["refresh_token"]})
    assert after.status_code == 401

    # forgot / reset
    forgot = runtime.post("/auth/password/forgot", json={"login": customer_id})
    assert forgot.status_code == 202
    unknown = runtime.post("/auth/password/forgot", json={"login": "nobody-" + email})
    assert unknown.status_code == 202 and unknown.json() == forgot.json()
    reset_mail = newest_mail_to(runtime, email)
    reset = runtime.post(
        "/auth/password/reset", json={"token": link_token(reset_mail), "new_password": NEW_PASSWORD}
    )
    assert reset.status_code == 204
    assert login(runtime, email, PASSWORD).status_code == 401
    tokens = login(runtime, email, NEW_PASSWORD).json()

    # email change confirmed with the code sent to the CURRENT address
    second = f"e2e-second-{uuid.uuid4().hex[:8]}@example.org"
    asked = runtime.post(
        "/auth/me/email-change",
        json={"new_email": second, "password": NEW_PASSWORD},
        headers=bearer(tokens["access_token"]),
    )
    assert asked.status_code == 202, asked.text
    code_mail = newest_mail_to(runtime, email)
    code = re.search(r"\b([0-9]{6})\b", code_mail["text"]).group(1)  # type: ignore[union-attr]
    assert code not in newest_mail_to(runtime, second)["text"]
    confirmed = runtime.post(
        "/auth/me/email-change/confirm", json={"code": code}, headers=bearer(tokens["access_token"])
    )
    assert confirmed.status_code == 200
    assert confirmed.json()["email"] == second
    assert login(runtime, second, NEW_PASSWORD).status_code == 200
    assert login(runtime, email, NEW_PASSWORD).status_code == 401

    # another change nobody answers: the job applies it 25 h after the request, and only then
    third = f"e2e-third-{uuid.uuid4().hex[:8]}@example.org"
    requested_at = datetime.now(UTC)
    asked = runtime.post(
        "/auth/me/email-change",
        json={"new_email": third, "password": NEW_PASSWORD},
        headers=bearer(tokens["access_token"]),
    )
    assert asked.status_code == 202
    early = runtime.job("auth.apply_pending_email_changes", at=iso(requested_at + timedelta(hours=23)))
    assert early.returncode == 0, early.stderr
    assert runtime.get("/auth/me", headers=bearer(tokens["access_token"])).json()["email"] == second
    late = runtime.job("auth.apply_pending_email_changes", at=iso(requested_at + timedelta(hours=25)))
    assert late.returncode == 0, late.stderr
    me = runtime.get("/auth/me", headers=bearer(tokens["access_token"])).json()
    assert me["email"] == third
    assert me["pending_email_change"] is None
    assert login(runtime, third, NEW_PASSWORD).status_code == 200
    told = newest_mail_to(runtime, second)
    assert third in told["text"]


def iso(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


DEMO_LOGINS = [
    "abonne@demo.guichet.test",
    "stockage@demo.guichet.test",
    "surplus@demo.guichet.test",
    "verte@demo.guichet.test",
    "mobile@demo.guichet.test",
    "hebergement@demo.guichet.test",
]


def test_every_demo_customer_of_api_md_logs_in_with_the_demo_password(demo_runtime: Any) -> None:
    for email in DEMO_LOGINS:
        answer = login(demo_runtime, email, "Guichet-demo-2026!")
        assert answer.status_code == 200, (email, answer.text)
        profile = demo_runtime.get("/auth/me", headers=bearer(answer.json()["access_token"])).json()
        assert profile["email"] == email
        # the banner of `make run` prints each login with its customer id
        assert email in demo_runtime.output() and profile["customer_id"] in demo_runtime.output()
    # demo customers are imported active: no verification mail was sent for them
    demo_mail = [mail for mail in demo_runtime.mail() if mail["to"].endswith("@demo.guichet.test")]
    assert not [mail for mail in demo_mail if "/verify-email?token=" in mail["text"]]
