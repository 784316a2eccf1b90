"""The payment provider interface and its sandbox: test cards, test IBANs, idempotency, masking."""

from __future__ import annotations

import dataclasses
import logging
import re
import subprocess
import sys
import threading
import uuid
from pathlib import Path

import pytest

SERVICE_DIR = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(SERVICE_DIR))

from chalicelib import payment_provider  # noqa: E402
from chalicelib.payment_provider import (  # noqa: E402
    TEST_CARDS,
    TEST_IBANS,
    Charge,
    PaymentProvider,
    SandboxProvider,
    mask_card,
    provider,
)

REFERENCE = re.compile(r"sbx_ch_[0-9a-f]{24}")
MANDATE = "GUICHET-AB123456GU-0001"


@pytest.fixture
def sandbox() -> SandboxProvider:
    """A sandbox with a ledger of its own, so that tests cannot see each other's keys."""
    return SandboxProvider(ledger=payment_provider._Ledger())


def key() -> str:
    return f"test-{uuid.uuid4()}"


def charge(sandbox: SandboxProvider, card: str, amount_cents: int = 4990, **overrides: object) -> Charge:
    arguments: dict[str, object] = {
        "card_token": card,
        "amount_cents": amount_cents,
        "currency": "EUR",
        "idempotency_key": key(),
        "description": "Invoice F-2026-000123",
    }
    arguments.update(overrides)
    return sandbox.charge_card(**arguments)  # type: ignore[arg-type]


def debit(sandbox: SandboxProvider, iban: str, amount_cents: int = 4990, **overrides: object) -> Charge:
    arguments: dict[str, object] = {
        "iban": iban,
        "mandate_reference": MANDATE,
        "amount_cents": amount_cents,
        "currency": "EUR",
        "idempotency_key": key(),
        "description": "Invoice F-2026-000123",
    }
    arguments.update(overrides)
    return sandbox.debit_account(**arguments)  # type: ignore[arg-type]


# --- test cards -------------------------------------------------------------------------------

CARD_CASES = [
    ("4242424242424242", "succeeded", None),
    ("4242 4242 4242 4242", "succeeded", None),
    ("tok_visa", "succeeded", None),
    ("4000000000000002", "declined", "card_declined"),
    ("4000 0000 0000 0002", "declined", "card_declined"),
    ("tok_chargeDeclined", "declined", "card_declined"),
    ("4000000000009995", "declined", "insufficient_funds"),
    ("4000 0000 0000 9995", "declined", "insufficient_funds"),
    ("tok_insufficientFunds", "declined", "insufficient_funds"),
    ("4000000000000069", "declined", "expired_card"),
    ("4000 0000 0000 0069", "declined", "expired_card"),
    ("tok_expiredCard", "declined", "expired_card"),
    ("4000000000000127", "declined", "incorrect_cvc"),
    ("4000-0000-0000-0127", "declined", "incorrect_cvc"),
    ("tok_incorrectCvc", "declined", "incorrect_cvc"),
    ("4000000000005126", "succeeded", None),
    ("tok_refundFail", "succeeded", None),
    ("5555555555554444", "declined", "invalid_card"),
    ("tok_mastercard", "declined", "invalid_card"),
    ("tok_VISA", "declined", "invalid_card"),
    ("", "declined", "invalid_card"),
]


@pytest.mark.parametrize(("card", "status", "decline_code"), CARD_CASES)
def test_every_test_card(sandbox: SandboxProvider, card: str, status: str, decline_code: str | None) -> None:
    result = charge(sandbox, card)

    assert result.status == status
    assert result.decline_code == decline_code
    assert REFERENCE.fullmatch(result.reference)
    if status == "succeeded":
        assert result.succeeded
        assert result.message is None
    else:
        assert not result.succeeded
        assert result.message and result.message.endswith(".")


def test_test_cards_table_matches_the_documented_cards() -> None:
    assert TEST_CARDS["4242424242424242"] == ("succeeded", None)
    assert TEST_CARDS["tok_visa"] == ("succeeded", None)
    assert TEST_CARDS["4000000000000002"] == TEST_CARDS["tok_chargeDeclined"] == ("declined", "card_declined")
    assert TEST_CARDS["4000000000009995"] == TEST_CARDS["tok_insufficientFunds"]
    assert TEST_CARDS["tok_insufficientFunds"] == ("declined", "insufficient_funds")
    assert TEST_CARDS["4000000000000069"] == ("declined", "expired_card")
    assert TEST_CARDS["4000000000000127"] == ("declined", "incorrect_cvc")


def test_the_docstring_lists_every_test_card_and_iban() -> None:
    doc = payment_provider.__doc__ or ""
    flat = doc.replace(" ", "")
    for card, (status, decline_code) in TEST_CARDS.items():
        assert card in flat, card
        assert (decline_code or status) in doc
    for iban in TEST_IBANS:
        assert iban in flat, iban


# --- idempotency and references ---------------------------------------------------------------


def test_the_same_key_returns_the_same_charge(sandbox: SandboxProvider) -> None:
    same = key()
    first = charge(sandbox, "4242424242424242", idempotency_key=same)
    again = charge(sandbox, "4242 4242 4242 4242", idempotency_key=same)

    assert again == first
    assert again.reference == first.reference


def test_a_declined_charge_is_replayed_as_declined(sandbox: SandboxProvider) -> None:
    same = key()
    first = charge(sandbox, "tok_chargeDeclined", idempotency_key=same)
    again = charge(sandbox, "tok_chargeDeclined", idempotency_key=same)

    assert again == first
    assert again.decline_code == "card_declined"


def test_the_description_may_change_on_a_replay(sandbox: SandboxProvider) -> None:
    same = key()
    first = charge(sandbox, "tok_visa", idempotency_key=same, description="Facture F-1")

    assert charge(sandbox, "tok_visa", idempotency_key=same, description="Invoice F-1") == first


@pytest.mark.parametrize(
    "change",
    [
        {"amount_cents": 4991},
        {"currency": "CHF"},
        {"card_token": "tok_chargeDeclined"},
        {"card_token": "4000000000000002"},
    ],
)
def test_the_same_key_with_other_parameters_is_refused(sandbox: SandboxProvider, change: dict) -> None:
    same = key()
    first = charge(sandbox, "4242424242424242", idempotency_key=same)

    with pytest.raises(ValueError, match="idempotency_key") as raised:
        charge(sandbox, "4242424242424242", idempotency_key=same, **change)

    assert "4242424242424242" not in str(raised.value)
    assert "4000000000000002" not in str(raised.value)
    # the first charge stands
    assert charge(sandbox, "4242424242424242", idempotency_key=same) == first


def test_a_key_used_for_a_card_cannot_debit_an_account(sandbox: SandboxProvider) -> None:
    same = key()
    charge(sandbox, "tok_visa", idempotency_key=same)

    with pytest.raises(ValueError, match="idempotency_key"):
        debit(sandbox, "FR7630006000011234567890189", idempotency_key=same)


def test_references_are_derived_from_the_key_alone() -> None:
    same = key()
    one = SandboxProvider(ledger=payment_provider._Ledger())
    other = SandboxProvider(ledger=payment_provider._Ledger())

    first = charge(one, "tok_visa", idempotency_key=same)
    second = charge(other, "tok_chargeDeclined", idempotency_key=same, amount_cents=1)

    assert first.reference == second.reference
    assert charge(one, "tok_visa").reference != first.reference


def test_twenty_threads_with_one_key_make_one_charge(sandbox: SandboxProvider) -> None:
    same = key()
    barrier = threading.Barrier(20)
    results: list[Charge] = []
    errors: list[BaseException] = []

    def pay() -> None:
        barrier.wait()
        try:
            results.append(charge(sandbox, "4242 4242 4242 4242", idempotency_key=same))
        except BaseException as error:
            errors.append(error)

    threads = [threading.Thread(target=pay) for _ in range(20)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=10)

    assert not errors
    assert len(results) == 20
    assert len({result.reference for result in results}) == 1
    assert len(set(results)) == 1
    assert len(sandbox._ledger) == 1


def test_twenty_threads_racing_with_other_amounts_leave_one_winner(sandbox: SandboxProvider) -> None:
    same = key()
    barrier = threading.Barrier(20)
    won: list[int] = []
    refused: list[int] = []
    lock = threading.Lock()

    def pay(amount: int) -> None:
        barrier.wait()
        try:
            charge(sandbox, "tok_visa", amount, idempotency_key=same)
        except ValueError:
            with lock:
                refused.append(amount)
        else:
            with lock:
                won.append(amount)

    threads = [threading.Thread(target=pay, args=(100 + n,)) for n in range(20)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=10)

    assert len(won) == 1
    assert len(refused) == 19


def test_the_process_ledger_is_shared_by_every_sandbox() -> None:
    same = key()
    first = charge(provider("sandbox"), "tok_visa", idempotency_key=same)  # type: ignore[arg-type]

    assert charge(SandboxProvider(), "tok_visa", idempotency_key=same) == first
    with pytest.raises(ValueError):
        charge(SandboxProvider(), "tok_visa", 1, idempotency_key=same)


# --- card data stays out of logs and errors -----------------------------------------------------


@pytest.mark.parametrize(
    ("card", "masked"),
    [
        ("4242424242424242", "****4242"),
        ("4242 4242 4242 4242", "****4242"),
        ("4000-0000-0000-0127", "****0127"),
        ("tok_visa", "****visa"),
        ("1234", "****"),
        ("", "****"),
    ],
)
def test_mask_card_keeps_the_last_four(card: str, masked: str) -> None:
    assert mask_card(card) == masked


def test_card_numbers_never_reach_the_logs(
    sandbox: SandboxProvider, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    for card in ("4242 4242 4242 4242", "4000000000000002", "5105105105105100"):
        charge(sandbox, card)

    text = caplog.text + " ".join(str(record.__dict__) for record in caplog.records)
    assert "****4242" in text
    for number in ("4242424242424242", "4242 4242 4242 4242", "4000000000000002", "5105105105105100"):
        assert number not in text
    assert "424242424242" not in text


def test_ibans_are_masked_in_the_logs(sandbox: SandboxProvider, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    debit(sandbox, "FR76 3000 6000 0112 3456 7890 189")

    assert "FR7630006000011234567890189" not in caplog.text
    assert "FR76****0189" in caplog.text


def test_the_charge_holds_no_card_data(sandbox: SandboxProvider) -> None:
    result = charge(sandbox, "4242424242424242")

    assert "4242" not in repr(result)


def test_a_charge_is_frozen(sandbox: SandboxProvider) -> None:
    result = charge(sandbox, "tok_visa")

    with pytest.raises(dataclasses.FrozenInstanceError):
        result.status = "declined"  # type: ignore[misc]


# --- direct debits ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("iban", "status", "decline_code"),
    [
        ("FR7630006000011234567890189", "succeeded", None),
        ("FR76 3000 6000 0112 3456 7890 189", "succeeded", None),
        ("FR1420041010050500013M02606", "succeeded", None),
        ("fr14 2004 1010 0505 0001 3m02 606", "succeeded", None),
        ("FR7630004000010000000040294", "declined", "insufficient_funds"),
        ("FR76 3000 4000 0100 0000 0040 294", "declined", "insufficient_funds"),
        ("FR7630004000010000000041070", "declined", "account_closed"),
        ("DE89370400440532013000", "succeeded", None),
        ("FR7630006000011234567890188", "declined", "invalid_account"),
        ("not an iban", "declined", "invalid_account"),
    ],
)
def test_direct_debits(sandbox: SandboxProvider, iban: str, status: str, decline_code: str | None) -> None:
    result = debit(sandbox, iban)

    assert result.status == status
    assert result.decline_code == decline_code
    assert REFERENCE.fullmatch(result.reference)
    assert (result.message is None) == (status == "succeeded")


def test_the_test_ibans_are_valid_french_ibans() -> None:
    from schwifty import IBAN

    for iban in TEST_IBANS:
        parsed = IBAN(iban)
        assert parsed.validate(validate_bban=True)
        assert parsed.country_code == "FR"
        assert parsed.bic is not None


def test_a_debit_is_idempotent(sandbox: SandboxProvider) -> None:
    same = key()
    first = debit(sandbox, "FR7630006000011234567890189", idempotency_key=same)

    assert debit(sandbox, "FR76 3000 6000 0112 3456 7890 189", idempotency_key=same) == first
    with pytest.raises(ValueError):
        debit(sandbox, "FR7630006000011234567890189", 1, idempotency_key=same)
    with pytest.raises(ValueError):
        debit(sandbox, "FR7630006000011234567890189", idempotency_key=same, mandate_reference="OTHER-1")
    with pytest.raises(ValueError):
        debit(sandbox, "FR1420041010050500013M02606", idempotency_key=same)


def test_a_debit_needs_a_mandate(sandbox: SandboxProvider) -> None:
    with pytest.raises(ValueError, match="mandate_reference"):
        debit(sandbox, "FR7630006000011234567890189", mandate_reference=" ")


# --- arguments --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "bad",
    [
        {"amount_cents": 0},
        {"amount_cents": -100},
        {"amount_cents": True},
        {"amount_cents": 49.9},
        {"currency": "eur"},
        {"currency": "EURO"},
        {"idempotency_key": ""},
        {"idempotency_key": "k" * 256},
        {"description": None},
        {"card_token": None},
    ],
)
def test_wrong_arguments_raise_value_error(sandbox: SandboxProvider, bad: dict) -> None:
    with pytest.raises(ValueError) as raised:
        charge(sandbox, "4242424242424242", **bad)

    assert "4242" not in str(raised.value)
    assert len(sandbox._ledger) == 0


def test_a_key_of_255_characters_is_accepted(sandbox: SandboxProvider) -> None:
    assert charge(sandbox, "tok_visa", idempotency_key="k" * 255).succeeded


# --- refunds and transfers ---------------------------------------------------------------------


def refund(sandbox: SandboxProvider, reference: str, amount_cents: int, **overrides: object) -> Charge:
    arguments: dict[str, object] = {
        "charge_reference": reference,
        "amount_cents": amount_cents,
        "currency": "EUR",
        "idempotency_key": key(),
        "description": "Avoir F2026-000124",
    }
    arguments.update(overrides)
    return sandbox.refund_card(**arguments)  # type: ignore[arg-type]


def test_a_card_charge_is_refunded_in_parts_never_beyond_it(sandbox: SandboxProvider) -> None:
    # Given a charge of 49.90 €
    paid = charge(sandbox, "tok_visa", 4990)

    # When 30 € then 19.90 € of it are refunded, the first one twice with its key
    same = key()
    first = refund(sandbox, paid.reference, 3000, idempotency_key=same)
    replay = refund(sandbox, paid.reference, 3000, idempotency_key=same)
    rest = refund(sandbox, paid.reference, 1990)

    # Then both succeed, the replay answers the first, and nothing more can be refunded
    assert first == replay and first.succeeded and rest.succeeded
    assert re.fullmatch(r"sbx_re_[0-9a-f]{24}", first.reference)
    with pytest.raises(ValueError, match="cannot exceed"):
        refund(sandbox, paid.reference, 1)
    with pytest.raises(ValueError, match="cannot exceed"):
        refund(sandbox, charge(sandbox, "tok_visa", 500).reference, 100, currency="USD")


@pytest.mark.parametrize("card", ["tok_refundFail", "4000 0000 0000 5126"])
def test_the_refund_failing_card_charges_but_its_refunds_are_declined(
    sandbox: SandboxProvider, card: str
) -> None:
    paid = charge(sandbox, card, 2000)
    declined = refund(sandbox, paid.reference, 2000)
    assert paid.succeeded and not declined.succeeded
    assert declined.decline_code == "expired_or_canceled_card" and declined.message


def test_a_charge_the_sandbox_never_made_or_declined_cannot_be_refunded(sandbox: SandboxProvider) -> None:
    declined = charge(sandbox, "tok_chargeDeclined")
    assert refund(sandbox, "sbx_ch_000000000000000000000000", 100).decline_code == "charge_not_found"
    assert refund(sandbox, declined.reference, 100).decline_code == "charge_not_found"


@pytest.mark.parametrize(
    ("iban", "status", "decline_code"),
    [
        ("FR7630006000011234567890189", "succeeded", None),
        ("FR76 3000 4000 0100 0000 0040 294", "succeeded", None),  # receiving needs no funds
        ("FR7630004000010000000041070", "declined", "account_closed"),
        ("FR7630006000011234567890188", "declined", "invalid_account"),
    ],
)
def test_transfers(sandbox: SandboxProvider, iban: str, status: str, decline_code: str | None) -> None:
    arguments = {"iban": iban, "holder": "Lina Moreau", "amount_cents": 2500, "currency": "EUR"}
    sent = sandbox.transfer(**arguments, idempotency_key=(same := key()), description="Régularisation")
    assert (sent.status, sent.decline_code) == (status, decline_code)
    assert re.fullmatch(r"sbx_tr_[0-9a-f]{24}", sent.reference)
    assert sandbox.transfer(**arguments, idempotency_key=same, description="Régularisation") == sent
    with pytest.raises(ValueError, match="other parameters"):
        sandbox.transfer(**{**arguments, "amount_cents": 2600}, idempotency_key=same, description="x")
    with pytest.raises(ValueError, match="holder"):
        sandbox.transfer(**{**arguments, "holder": " "}, idempotency_key=key(), description="x")


# --- provider() -------------------------------------------------------------------------------


def test_provider_returns_the_sandbox() -> None:
    sandbox = provider("sandbox")

    assert isinstance(sandbox, SandboxProvider)
    assert isinstance(sandbox, PaymentProvider)
    assert provider("sandbox") is sandbox
    assert provider(" Sandbox ") is sandbox


@pytest.mark.parametrize("name", ["adyen", "", "sandbox2"])
def test_an_unknown_provider_is_a_value_error(name: str) -> None:
    with pytest.raises(ValueError, match="unknown payment provider"):
        provider(name)


def test_the_module_imports_no_aws_code_nor_settings() -> None:
    code = (
        "import sys; sys.path.insert(0, sys.argv[1]); import chalicelib.payment_provider; "
        "bad = [m for m in sys.modules if m.split('.')[0] in ('boto3', 'botocore', 'schwifty') "
        "or m == 'chalicelib.settings']; print(bad); sys.exit(1 if bad else 0)"
    )
    done = subprocess.run([sys.executable, "-c", code, str(SERVICE_DIR)], capture_output=True, text=True)
    assert done.returncode == 0, done.stdout + done.stderr
