"""Refresh-token rotation, reuse detection (with a grace window for concurrent refreshes), logout, expiry
and the sessions of a customer (point 6)."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta

import pytest
from conftest import assert_documented, assert_error, call, tokens_of


def _refresh(client, refresh_token):
    return call(client, "POST", "/refresh", {"refresh_token": refresh_token})


def _session_ids(client, access_token):
    response = call(client, "GET", "/me/sessions", token=access_token)
    assert response.status_code == 200, response.body
    assert_documented("GET", "/me/sessions", response)
    return {item["session_id"]: item for item in response.json_body["items"]}


def test_refresh_rotates_the_pair(client, customer):
    # When the refresh token is exchanged
    response = _refresh(client, customer.refresh_token)

    # Then a new pair comes back, for the same session
    assert response.status_code == 200, response.body
    assert_documented("POST", "/refresh", response)
    pair = response.json_body
    assert pair["refresh_token"] != customer.refresh_token
    assert pair["access_token"] != customer.access_token
    assert pair["session_id"] == customer.session_id
    assert pair["token_type"] == "Bearer"
    # and both new tokens work
    assert (
        call(client, "GET", "/me", token=pair["access_token"]).json_body["customer_id"]
        == customer.customer_id
    )
    assert _refresh(client, pair["refresh_token"]).status_code == 200


def test_a_rotated_refresh_token_presented_again_revokes_the_whole_family(client, customer):
    # Given a session refreshed twice
    second = _refresh(client, customer.refresh_token).json_body
    third = _refresh(client, second["refresh_token"]).json_body

    # When the first (rotated) token is presented again
    reused = _refresh(client, customer.refresh_token)

    # Then 401, and the newest token of the family is dead too
    assert_error(reused, 401, "invalid_refresh_token")
    assert_documented("POST", "/refresh", reused)
    assert_error(_refresh(client, third["refresh_token"]), 401, "invalid_refresh_token")
    assert_error(_refresh(client, second["refresh_token"]), 401, "invalid_refresh_token")
    # and the session is no longer listed among the active ones
    other = tokens_of(client, customer.email)
    assert customer.session_id not in _session_ids(client, other["access_token"])
    # while another session of the customer is untouched
    assert _refresh(client, other["refresh_token"]).status_code == 200


def test_an_unknown_refresh_token_is_refused(client):
    assert_error(_refresh(client, "not-a-token-we-gave"), 401, "invalid_refresh_token")


def test_logout_ends_the_session(client, customer):
    # When logging out with the refresh token
    response = call(client, "POST", "/logout", {"refresh_token": customer.refresh_token})

    # Then 204, and the refresh token no longer works
    assert response.status_code == 204
    assert response.body == b""
    assert_error(_refresh(client, customer.refresh_token), 401, "invalid_refresh_token")
    # and a second logout (or one with an unknown token) still answers 204
    assert call(client, "POST", "/logout", {"refresh_token": customer.refresh_token}).status_code == 204
    assert call(client, "POST", "/logout", {"refresh_token": "unknown"}).status_code == 204


def test_refresh_tokens_expire_30_days_after_login_whatever_the_rotations(client, customer):
    from chalicelib import sessions
    from chalicelib.errors import InvalidRefreshToken

    now = datetime.now(UTC)
    # Given a session rotated on its 29th day
    day_29 = sessions.refresh(customer.refresh_token, now=now + timedelta(days=29))

    # When its newest token is used on the 31st day / Then it is refused: the expiry is absolute
    with pytest.raises(InvalidRefreshToken):
        sessions.refresh(day_29["refresh_token"], now=now + timedelta(days=31))


def test_a_fresh_refresh_token_is_refused_after_31_days(client, customer):
    from chalicelib import sessions
    from chalicelib.errors import InvalidRefreshToken

    with pytest.raises(InvalidRefreshToken):
        sessions.refresh(customer.refresh_token, now=datetime.now(UTC) + timedelta(days=31))


def test_two_concurrent_refreshes_of_one_token_get_the_same_successor(client, customer, serialised_aws):
    from chalicelib import sessions

    # Given two tabs that present the same refresh token at once
    start = threading.Barrier(2)
    now = datetime.now(UTC)

    def attempt(_):
        start.wait()
        return sessions.refresh(customer.refresh_token, now=now)

    # When both refresh
    with ThreadPoolExecutor(max_workers=2) as pool:
        outcomes = list(pool.map(attempt, range(2)))

    # Then both get a pair with the same refresh token (one rotation), and the session lives on
    assert len({outcome["refresh_token"] for outcome in outcomes}) == 1
    assert _refresh(client, outcomes[0]["refresh_token"]).status_code == 200


def test_ten_concurrent_refreshes_through_the_route_share_one_successor(client, customer, serialised_aws):
    with ThreadPoolExecutor(max_workers=10) as pool:
        answers = list(pool.map(lambda _: _refresh(client, customer.refresh_token), range(10)))

    assert sorted(answer.status_code for answer in answers) == [200] * 10
    assert len({answer.json_body["refresh_token"] for answer in answers}) == 1
    assert _refresh(client, answers[0].json_body["refresh_token"]).status_code == 200


def test_a_rotated_token_presented_after_the_grace_window_revokes_its_family(client, customer):
    from chalicelib import sessions
    from chalicelib.errors import InvalidRefreshToken

    # Given a token rotated at 10:00:00
    rotated_at = datetime(2026, 12, 4, 10, 0, tzinfo=UTC)
    successor = sessions.refresh(customer.refresh_token, now=rotated_at)

    # When it is presented again ten seconds later, then eleven
    again = sessions.refresh(customer.refresh_token, now=rotated_at + sessions.GRACE)
    with pytest.raises(InvalidRefreshToken):
        sessions.refresh(customer.refresh_token, now=rotated_at + sessions.GRACE + timedelta(seconds=1))

    # Then within the window it gets the same successor; after it, the whole family is revoked
    assert again["refresh_token"] == successor["refresh_token"]
    assert_error(_refresh(client, successor["refresh_token"]), 401, "invalid_refresh_token")


def test_a_sealed_successor_opens_only_with_the_token_it_was_sealed_with():
    from chalicelib import opaque_tokens

    sealed = opaque_tokens.seal("the successor", with_token="the old token")
    assert opaque_tokens.unseal(sealed, with_token="the old token") == "the successor"
    assert opaque_tokens.unseal(sealed, with_token="another token") is None
    assert opaque_tokens.unseal(sealed[:-4] + "AAAA", with_token="the old token") is None
    assert "the successor" not in sealed


def test_sessions_lists_each_login_and_marks_the_current_one(client, customer):
    # Given a second login from another device
    other = call(
        client,
        "POST",
        "/login",
        {"login": customer.email, "password": customer.password},
        headers={"user-agent": "Firefox on the other laptop"},
    ).json_body

    # When listing the sessions from the first one
    listed = _session_ids(client, customer.access_token)

    # Then both are there, the first marked current
    assert set(listed) == {customer.session_id, other["session_id"]}
    assert listed[customer.session_id]["current"] is True
    assert listed[other["session_id"]]["current"] is False
    assert listed[other["session_id"]]["user_agent"] == "Firefox on the other laptop"
    assert listed[other["session_id"]]["device"] == {
        "browser": None,
        "os": None,
        "device": None,
        "kind": "unknown",
    }


@pytest.mark.parametrize(
    "user_agent, device",
    [
        (
            "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko)"
            " Version/17.5 Mobile/15E148 Safari/604.1",
            {"browser": "Mobile Safari", "os": "iOS", "device": "iPhone", "kind": "phone"},
        ),
        (
            "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:133.0) Gecko/20100101 Firefox/133.0",
            {"browser": "Firefox", "os": "Windows", "device": None, "kind": "computer"},
        ),
        (
            "Mozilla/5.0 (iPad; CPU OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko)"
            " Version/17.5 Mobile/15E148 Safari/604.1",
            {"browser": "Mobile Safari", "os": "iOS", "device": "iPad", "kind": "tablet"},
        ),
    ],
)
def test_each_session_names_its_device_in_words(client, customer, user_agent, device):
    other = call(
        client,
        "POST",
        "/login",
        {"login": customer.email, "password": customer.password},
        headers={"user-agent": user_agent},
    ).json_body

    listed = _session_ids(client, customer.access_token)

    assert listed[other["session_id"]]["device"] == device


def test_revoking_one_session_stops_its_refresh_only(client, customer):
    other = tokens_of(client, customer.email)

    response = call(client, "DELETE", f"/me/sessions/{other['session_id']}", token=customer.access_token)

    assert response.status_code == 204
    assert_error(_refresh(client, other["refresh_token"]), 401, "invalid_refresh_token")
    assert set(_session_ids(client, customer.access_token)) == {customer.session_id}
    assert _refresh(client, customer.refresh_token).status_code == 200
    # and revoking it again is a 404
    again = call(client, "DELETE", f"/me/sessions/{other['session_id']}", token=customer.access_token)
    assert_error(again, 404, "not_found")
    assert_documented("DELETE", "/me/sessions/{session_id}", again)


def test_another_customers_session_cannot_be_revoked(client, customer, other_customer):
    # When customer B tries to revoke customer A's session
    response = call(
        client, "DELETE", f"/me/sessions/{customer.session_id}", token=other_customer.access_token
    )

    # Then B gets the same 404 as for a session that does not exist
    assert_error(response, 404, "not_found")
    unknown = call(client, "DELETE", "/me/sessions/0123456789abcdef", token=other_customer.access_token)
    assert response.json_body == unknown.json_body
    # and A's session still works
    assert customer.session_id in _session_ids(client, customer.access_token)
    assert _refresh(client, customer.refresh_token).status_code == 200


def test_a_token_rotated_twice_at_once_gives_both_the_same_successor(customer, serialised_aws, monkeypatch):
    from chalicelib import opaque_tokens, sessions
    from chalicelib.errors import InvalidRefreshToken

    # Given two refreshes of one token that both find it active before either rotates it
    together = threading.Barrier(2, timeout=2)
    new_token = opaque_tokens.new_token

    def new_token_together(*args):
        try:
            together.wait()
        except threading.BrokenBarrierError:
            pass
        return new_token(*args)

    monkeypatch.setattr(opaque_tokens, "new_token", new_token_together)

    now = datetime.now(UTC)

    def attempt(_):
        try:
            return sessions.refresh(customer.refresh_token, now=now)
        except InvalidRefreshToken:
            return None

    with ThreadPoolExecutor(max_workers=2) as pool:
        outcomes = list(pool.map(attempt, range(2)))
    monkeypatch.setattr(opaque_tokens, "new_token", new_token)

    # Then the rotation that lost the race answers with the winner's successor: one live token,
    # the session kept (a concurrent refresh is not a reuse)
    assert None not in outcomes
    assert len({outcome["refresh_token"] for outcome in outcomes}) == 1
    assert sessions.refresh(outcomes[0]["refresh_token"], now=now)["session_id"] == customer.session_id
