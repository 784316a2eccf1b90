"""The second factor in the portal (pages/security.js, services/auth/chalicelib/second_factor.py
and passkeys.py): an authenticator app set up from the security page and asked at the next login,
a passkey made by Chromium's virtual authenticator and used to log in, and the step-up the bank
details ask for once the sign-in is a few minutes old.

The runtime is the module's own, on a controlled clock (`--clock`): the app's codes are computed
from the runtime's time, which the test moves. Passkeys need a relying party a browser accepts:
the portal is opened at http://localhost:<port> (the local stage's relying party, docs/API.md).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import datetime, timedelta
from typing import Any

import pyotp
import pytest
from conftest import LocalRuntime, _stopped_cleanly
from customers import PASSWORD, verified_customer
from playwright.sync_api import expect
from portal_axe import assert_accessible
from portal_texts import text

START = "2030-03-04T08:00:00Z"
IBAN = "FR76 3000 6000 0112 3456 7890 189"


@pytest.fixture(scope="module")
def clocked(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalRuntime]:
    started = LocalRuntime.start(
        tmp_path_factory.mktemp("mfa-runtime"), "--no-demo", "--trust-forwarded-for", "--clock", START
    )
    yield started
    _stopped_cleanly(started)


def move_clock(runtime: LocalRuntime, now: datetime) -> None:
    moved = runtime.post("/_local/clock", json={"now": now.isoformat().replace("+00:00", "Z")}, timeout=600)
    assert moved.status_code == 200, moved.text


def origin(runtime: LocalRuntime) -> str:
    return runtime.url.replace("127.0.0.1", "localhost")


def log_in(page: Any, runtime: LocalRuntime, email: str) -> None:
    page.goto(f"{origin(runtime)}/login")
    page.get_by_label(text("login_name")).fill(email)
    page.get_by_label(text("password"), exact=True).fill(PASSWORD)
    page.get_by_role("button", name=text("submit_login")).click()


def virtual_authenticator(page: Any) -> tuple[Any, str]:
    """Chromium's virtual platform authenticator (CTAP2, resident keys, user verified)."""
    session = page.context.new_cdp_session(page)
    session.send("WebAuthn.enable")
    added = session.send(
        "WebAuthn.addVirtualAuthenticator",
        {
            "options": {
                "protocol": "ctap2",
                "transport": "internal",
                "hasResidentKey": True,
                "hasUserVerification": True,
                "isUserVerified": True,
            }
        },
    )
    return session, added["authenticatorId"]


def test_an_authenticator_app_is_set_up_asked_at_login_and_again_before_bank_details(
    clocked: LocalRuntime, page: Any
) -> None:
    # Given a customer logged in to the portal
    customer = verified_customer(clocked, "mfa-app", first_name="Agathe", last_name="Roussel", language="fr")
    log_in(page, clocked, customer.email)
    expect(page.get_by_role("link", name=text("account"))).to_be_visible()

    # When they set up an authenticator app from the security page with its first code
    page.goto(f"{origin(clocked)}/security")
    page.get_by_role("button", name=text("totp_start")).click()
    secret = page.get_by_role("code").filter(has_text=re.compile(r"^[A-Z2-7]{16,}$")).inner_text().strip()
    expect(page.get_by_role("img", name=text("totp_qr_alt"))).to_be_visible()
    assert_accessible(page, "the security page setting up an app")
    app = pyotp.TOTP(secret)
    now = clocked.now()
    app_card = page.get_by_role("region", name=text("totp_title"))
    app_card.get_by_label(text("totp_first_code")).fill(app.at(now))
    app_card.get_by_label(text("password"), exact=True).fill(PASSWORD)
    app_card.get_by_role("button", name=text("totp_enable")).click()

    # Then the recovery codes are shown, once, and the customer is mailed with the customer id
    expect(page.get_by_text(text("totp_enabled_now"))).to_be_visible()
    expect(page.get_by_role("list", name=text("recovery_codes_list")).get_by_role("listitem")).to_have_count(
        10
    )
    assert any(
        customer.customer_id in mail["text"] for mail in clocked.mail() if customer.email in mail["to"]
    )

    # When they log in again, a minute later: the password is not enough, the app's code is asked
    page.context.clear_cookies()
    page.evaluate("localStorage.clear(); sessionStorage.clear()")
    later = now + timedelta(minutes=1)
    move_clock(clocked, later)
    log_in(page, clocked, customer.email)
    expect(page.get_by_role("heading", name=text("mfa_title"))).to_be_visible()
    assert_accessible(page, "the login's second step")
    page.get_by_label(text("mfa_code")).fill(app.at(later))
    page.get_by_role("button", name=text("mfa_verify")).click()
    expect(page.get_by_role("link", name=text("account"))).to_be_visible()

    # When, ten minutes after that sign-in, they give bank details
    much_later = later + timedelta(minutes=10)
    move_clock(clocked, much_later)
    page.goto(f"{origin(clocked)}/billing")
    page.get_by_label(text("iban")).fill(IBAN)
    page.get_by_role("button", name=text("save")).click()

    # Then they are asked to confirm who they are first, and the details are saved after the code
    dialog = page.get_by_role("dialog")
    expect(dialog.get_by_role("heading", name=text("step_up_title"))).to_be_visible()
    assert_accessible(page, "the step-up dialog")
    dialog.get_by_label(text("mfa_code")).fill(app.at(much_later))
    dialog.get_by_role("button", name=text("mfa_verify")).click()
    expect(page.get_by_text(text("bank_saved"))).to_be_visible()
    saved = clocked.get("/invoices/bank-account", headers=customer.auth)
    assert saved.status_code == 200 and saved.json()["iban_masked"].endswith("0 189"), saved.text


def test_a_passkey_made_by_the_browser_signs_in(clocked: LocalRuntime, page: Any) -> None:
    # Given a customer logged in, and a platform authenticator in the browser
    customer = verified_customer(
        clocked, "mfa-passkey", first_name="Bastien", last_name="Lefort", language="fr"
    )
    session, authenticator = virtual_authenticator(page)
    log_in(page, clocked, customer.email)
    expect(page.get_by_role("link", name=text("account"))).to_be_visible()

    # When they add a passkey from the security page
    page.goto(f"{origin(clocked)}/security")
    passkeys_card = page.get_by_role("region", name=text("passkeys_title"))
    passkeys_card.get_by_label(text("passkey_name")).fill("Portable")
    passkeys_card.get_by_label(text("password"), exact=True).fill(PASSWORD)
    passkeys_card.get_by_role("button", name=text("passkey_add")).click()

    # Then it is listed, and the authenticator holds a discoverable credential for the portal
    expect(page.get_by_role("cell", name="Portable")).to_be_visible()
    held = session.send("WebAuthn.getCredentials", {"authenticatorId": authenticator})["credentials"]
    assert len(held) == 1 and held[0]["isResidentCredential"] and held[0]["rpId"] == "localhost"

    # When they log out and sign in with the passkey alone
    page.context.clear_cookies()
    page.evaluate("localStorage.clear(); sessionStorage.clear()")
    page.goto(f"{origin(clocked)}/login")
    page.get_by_role("button", name=text("login_with_passkey")).click()

    # Then they are in their customer area, and the passkey says it was used
    expect(page.get_by_role("link", name=text("account"))).to_be_visible()
    listed = clocked.get("/auth/me/passkeys", headers=customer.auth).json()["items"]
    assert [item["name"] for item in listed] == ["Portable"] and listed[0]["last_used_at"] is not None

    # And a password login now asks for the passkey as the second factor
    page.context.clear_cookies()
    page.evaluate("localStorage.clear(); sessionStorage.clear()")
    log_in(page, clocked, customer.email)
    page.get_by_role("button", name=text("mfa_use_passkey")).click()
    expect(page.get_by_role("link", name=text("account"))).to_be_visible()
