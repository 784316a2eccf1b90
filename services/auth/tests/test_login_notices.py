"""Logins from a new device (chalicelib/login_notices.py): the customer and the backup address are
mailed at once with the customer id, the device, the time and the address, and a link that closes
that session; a known device (its cookie, or the same browser from the same network) is not."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from http.cookies import SimpleCookie
from typing import Any

import pytest
from conftest import PASSWORD, assert_documented, assert_error, call, new_customer, unique_email

T0 = datetime(2026, 11, 24, 9, 0, tzinfo=UTC)
FIREFOX = "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:133.0) Gecko/20100101 Firefox/133.0"
CHROME = (
    "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36"
)
SUBJECTS = {"fr": "Nouvelle connexion à votre compte", "en": "New sign-in to your"}


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> Any:
    """The routes' clock, at T0 until the test moves it."""
    from chalicelib import api

    moment = {"now": T0}
    monkeypatch.setattr(api, "_now", lambda: moment["now"])
    return moment


def log_in(
    client: Any, customer: Any, agent: str | None, *, device: str | None = None, cookie: bool = True
) -> Any:
    """A login of the customer from a client saying `agent` (None: the test client, which says none)."""
    headers = {"user-agent": agent} if agent else {}
    if device:
        headers["cookie"] = f"guichet_device={device}"
    body = {"login": customer.email, "password": PASSWORD, "cookie": cookie}
    response = call(client, "POST", "/login", body, headers=headers)
    assert response.status_code == 200, response.body
    return response


def device_cookie(response: Any) -> str:
    jar: SimpleCookie = SimpleCookie()
    for header in response.headers["Set-Cookie"]:
        jar.load(header)
    return jar["guichet_device"].value


def notices(mailbox: Any, address: str) -> list[dict[str, str]]:
    return [
        mail for mail in mailbox.messages(address) if any(s in mail["subject"] for s in SUBJECTS.values())
    ]


def test_the_first_login_tells_nothing_and_the_device_it_sets_is_known_after(client, mailbox, clock):
    # Given a new customer, logged in once (new_customer), then with a device cookie asked
    customer = new_customer(client, mailbox, language="en")
    first = log_in(client, customer, None)

    # When the same client logs in again with its device cookie
    again = log_in(client, customer, None, device=device_cookie(first))

    # Then no notice: the first login had nothing to compare with, the others are a known device
    assert notices(mailbox, customer.email) == []
    assert device_cookie(again) == device_cookie(first)


def test_a_login_from_another_browser_mails_the_customer_and_the_backup_address(
    client, mailbox, clock, client_address
):
    # Given a customer with a backup address, logged in once
    backup = unique_email("backup")
    customer = new_customer(client, mailbox, language="en", backup_email=backup)

    # When Firefox on Windows logs in to the account from another network
    client_address("203.0.113.7")
    response = log_in(client, customer, FIREFOX)

    # Then both addresses are told, with the customer id, the device, the time and the address
    (notice,) = notices(mailbox, customer.email)
    assert notices(mailbox, backup) == [notice]
    assert notice["subject"] == "New sign-in to your Guichet account"
    for said in (customer.customer_id, "Firefox, Windows", "203.0.113.7", "24 Nov 2026"):
        assert said in notice["text"], said
    assert "close-session?token=" in notice["text"] and "forgot-password" in notice["text"]
    # and the browser gets a device cookie of its own
    assert len(device_cookie(response)) >= 32


def test_the_same_browser_without_its_cookie_is_known_on_its_network_only(
    client, mailbox, clock, client_address
):
    # Given a customer who logged in from home
    client_address("198.51.100.20")
    customer = new_customer(client, mailbox, language="fr")

    # When the same client logs in again without cookies (cleared, or a client keeping none) from
    # another address of that network, then from another network
    client_address("198.51.100.45")
    log_in(client, customer, None)
    log_in(client, customer, None, cookie=False)
    assert notices(mailbox, customer.email) == []
    client_address("192.0.2.80")
    log_in(client, customer, None, cookie=False)

    # Then only the other network's login is told, in the customer's language
    (notice,) = notices(mailbox, customer.email)
    assert notice["subject"].startswith(SUBJECTS["fr"])
    assert "192.0.2.80" in notice["text"]


def stranger_told(client: Any, mailbox: Any, client_address: Any) -> tuple[Any, dict[str, Any], str]:
    """A customer, the tokens of a login to the account by Firefox from elsewhere, and the token of
    the link of the notice it mailed."""
    customer = new_customer(client, mailbox, language="en")
    client_address("203.0.113.9")
    stranger = log_in(client, customer, FIREFOX, cookie=False).json_body
    (notice,) = notices(mailbox, customer.email)
    token = re.search(r"close-session\?token=([\w-]+)", notice["text"]).group(1)  # type: ignore[union-attr]
    return customer, stranger, token


def test_the_link_closes_that_session_once(client, mailbox, clock, client_address):
    # Given a login from a new device, mailed
    customer, stranger, token = stranger_told(client, mailbox, client_address)

    # When the customer follows the link
    closed = call(client, "POST", "/sessions/close", {"token": token})
    assert_documented("POST", "/sessions/close", closed)

    # Then that session is over (its refresh token refused), the customer's own still runs
    assert closed.status_code == 204, closed.body
    assert_error(
        call(client, "POST", "/refresh", {"refresh_token": stranger["refresh_token"]}),
        401,
        "invalid_refresh_token",
    )
    assert call(client, "POST", "/refresh", {"refresh_token": customer.refresh_token}).status_code == 200
    # and the link is used up
    again = call(client, "POST", "/sessions/close", {"token": token})
    assert_error(again, 422, "invalid_token")
    assert_documented("POST", "/sessions/close", again)


def test_a_link_expires_after_a_week(client, mailbox, clock, client_address):
    _, stranger, token = stranger_told(client, mailbox, client_address)

    clock["now"] = T0 + timedelta(days=7, seconds=1)

    assert_error(call(client, "POST", "/sessions/close", {"token": token}), 422, "invalid_token")
    assert call(client, "POST", "/refresh", {"refresh_token": stranger["refresh_token"]}).status_code == 200


def test_a_notice_that_cannot_be_mailed_fails_the_login_and_the_retry_mails_it(
    client, mailbox, clock, client_address, monkeypatch
):
    # Given a customer, and SES refusing the next mail
    from chalicelib import emails

    customer = new_customer(client, mailbox, language="en")
    client_address("203.0.113.11")
    real_send = emails.send
    failures = iter([RuntimeError("SES unavailable")])

    def flaky(name: str, **kwargs: Any) -> None:
        failure = next(failures, None)
        if failure is not None:
            raise failure
        real_send(name, **kwargs)

    monkeypatch.setattr(emails, "send", flaky)
    body = {"login": customer.email, "password": PASSWORD, "cookie": False}

    # When a new device logs in while the mail cannot leave, then again
    failed = call(client, "POST", "/login", body, headers={"user-agent": FIREFOX})
    retried = call(client, "POST", "/login", body, headers={"user-agent": FIREFOX})

    # Then the first login failed without recording the device, and the retry told the customer
    assert failed.status_code >= 500
    assert retried.status_code == 200, retried.body
    assert len(notices(mailbox, customer.email)) == 1


def test_an_account_keeps_its_twenty_latest_devices(client, mailbox, clock, client_address):
    from chalicelib.login_notices import KEPT_DEVICES
    from chalicelib.models import KnownDevice

    customer = new_customer(client, mailbox, language="en")
    for n in range(KEPT_DEVICES + 5):
        client_address(f"10.{200 + n % 50}.{n}.1")
        clock["now"] = T0 + timedelta(minutes=n)
        log_in(client, customer, CHROME)

    kept = list(KnownDevice.query(f"CUSTOMER#{customer.customer_id}", KnownDevice.sk.startswith("DEVICE#")))
    assert len(kept) == KEPT_DEVICES
    assert min(device.last_seen_at for device in kept) == T0 + timedelta(minutes=5)


def test_a_changed_password_or_email_is_told_to_the_backup_address_too(client, mailbox):
    # Given a customer with a backup address
    backup = unique_email("backup")
    customer = new_customer(client, mailbox, language="en", backup_email=backup)

    # When the password, then the email, are changed
    body = {"current_password": PASSWORD, "new_password": "another long passphrase 77"}
    assert call(client, "POST", "/password/change", body, token=customer.access_token).status_code == 204
    again = call(
        client, "POST", "/login", {"login": customer.email, "password": "another long passphrase 77"}
    )
    token = again.json_body["access_token"]
    new_email = unique_email("moved")
    body = {"new_email": new_email, "password": "another long passphrase 77"}
    assert call(client, "POST", "/me/email-change", body, token=token).status_code == 202
    code = re.search(r"^\s*(\d{6})\s*$", mailbox.last(customer.email)["text"], re.MULTILINE).group(1)  # type: ignore[union-attr]
    assert call(client, "POST", "/me/email-change/confirm", {"code": code}, token=token).status_code == 200

    # Then the backup address got both notices, as the account's addresses did
    told = [mail["subject"] for mail in mailbox.messages(backup)]
    assert told == [
        "Your Guichet password has been changed",
        "The email address of your Guichet account has been changed",
    ]
    assert [mail["subject"] for mail in mailbox.messages(customer.email)][-1] == told[-1]
