"""Phone appointments with an advisor: 30-minute slots Monday to Friday, 9:00-12:00 and 14:00-18:00
Paris time, from one hour ahead; a slot takes as many bookings as there are advisors (2 here).

The routes' clock is set to a chosen moment (`route_clock`); each test books on a day of its own.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from conftest import Customer, mails_to, new_client, utc
from guichet_local.testing import answer, assert_error

PARIS = ZoneInfo("Europe/Paris")
HOURS = ((time(9, 0), time(12, 0)), (time(14, 0), time(18, 0)))


def paris(year: int, month: int, day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=PARIS)


def iso(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def working_slots(first: date, last: date, now: datetime) -> list[dict[str, str]]:
    """The slots API.md describes, computed here independently of the service."""
    slots = []
    day = first
    while day <= last:
        if day.weekday() < 5:
            for opening, closing in HOURS:
                start = datetime.combine(day, opening, tzinfo=PARIS)
                while start + timedelta(minutes=30) <= datetime.combine(day, closing, tzinfo=PARIS):
                    if start >= now + timedelta(hours=1):
                        slots.append({"start": iso(start), "end": iso(start + timedelta(minutes=30))})
                    start += timedelta(minutes=30)
        day += timedelta(days=1)
    return slots


def slots(customer: Customer, first: date, last: date) -> list[dict[str, str]]:
    response = customer.call("GET", f"/appointments/slots?from={first}&to={last}")
    assert response.status_code == 200, response.body
    return list(answer(response)["items"])


def book(
    customer: Customer, start: datetime | str, topic: str = "Mon contrat", phone: str = "0612345678"
) -> Any:
    at = start if isinstance(start, str) else start.isoformat()
    return customer.call("POST", "/appointments", {"start": at, "topic": topic, "phone": phone})


def appointments(customer: Customer) -> list[dict[str, Any]]:
    return list(answer(customer.call("GET", "/appointments"))["items"])


def test_slots_are_in_working_hours_from_one_hour_ahead(customer_factory: Any, route_clock: Any) -> None:
    # Given Monday 8 March 2027 at 11:10 in Paris
    now = route_clock(paris(2027, 3, 8, 11, 10))
    customer = customer_factory()

    # When the slots of that week are listed
    items = slots(customer, date(2027, 3, 8), date(2027, 3, 14))

    # Then they are the half hours of 9-12 and 14-18 Paris time, Monday to Friday, from 12:10 on
    assert items == working_slots(date(2027, 3, 8), date(2027, 3, 14), now)
    assert len(items) == 8 + 4 * 14
    for item in items:
        start = datetime.fromisoformat(item["start"].replace("Z", "+00:00"))
        end = datetime.fromisoformat(item["end"].replace("Z", "+00:00"))
        local = start.astimezone(PARIS)
        assert end - start == timedelta(minutes=30)
        assert local.weekday() < 5
        assert any(
            opening <= local.time() and (local + timedelta(minutes=30)).time() <= closing
            for opening, closing in HOURS
        )
        assert start >= now + timedelta(hours=1)
    assert items[0] == {"start": "2027-03-08T13:00:00Z", "end": "2027-03-08T13:30:00Z"}  # 14:00 in Paris


def test_slots_follow_paris_time_across_the_change_to_summer_time(
    customer_factory: Any, route_clock: Any
) -> None:
    # Given a Friday before the clocks go forward (28 March 2027)
    route_clock(paris(2027, 3, 25, 18, 0))
    customer = customer_factory()

    # When Friday's and Monday's slots are listed
    items = slots(customer, date(2027, 3, 26), date(2027, 3, 29))

    # Then 9:00 in Paris is 08:00 UTC on Friday and 07:00 UTC on Monday; no weekend slot
    assert items[0]["start"] == "2027-03-26T08:00:00Z"
    monday = [item for item in items if item["start"].startswith("2027-03-29")]
    assert monday[0]["start"] == "2027-03-29T07:00:00Z" and monday[-1]["end"] == "2027-03-29T16:00:00Z"
    assert {item["start"][:10] for item in items} == {"2027-03-26", "2027-03-29"}
    assert len(items) == 28


def test_no_slot_is_in_the_past_or_within_the_hour(customer_factory: Any, route_clock: Any) -> None:
    # Given Wednesday 10 March 2027 at 15:00 in Paris
    route_clock(paris(2027, 3, 10, 15, 0))
    customer = customer_factory()

    # When yesterday's and today's slots are listed
    items = slots(customer, date(2027, 3, 9), date(2027, 3, 10))

    # Then only today's from 16:00 come
    assert [item["start"] for item in items] == [
        iso(paris(2027, 3, 10, hour, minute)) for hour, minute in ((16, 0), (16, 30), (17, 0), (17, 30))
    ]


def test_booking_a_slot_confirms_it_by_email(
    customer_factory: Any, mailbox: Any, route_clock: Any, published: Any
) -> None:
    # Given an English-speaking customer on Monday 22 March 2027
    route_clock(paris(2027, 3, 22, 9, 0))
    customer = customer_factory(language="en")

    # When they book Tuesday 23 March at 10:30
    response = book(customer, paris(2027, 3, 23, 10, 30), topic="Moving house", phone="+33 6 12 34 56 78")

    # Then the appointment is made, listed, and confirmed in English
    assert response.status_code == 201
    appointment = answer(response)
    assert (appointment["start"], appointment["end"], appointment["topic"], appointment["phone"]) == (
        "2027-03-23T09:30:00Z",
        "2027-03-23T10:00:00Z",
        "Moving house",
        "+33612345678",
    )
    assert appointments(customer) == [appointment]
    assert [mail["subject"] for mail in mails_to(mailbox, customer.email)] == [
        "Your phone appointment on 23 March 2027 10:30 is confirmed"
    ]
    # And AppointmentBooked tells the other services (and the provider's webhooks)
    (booked,) = published.of(customer.customer_id, "AppointmentBooked")
    assert booked["detail"]["data"] == {**appointment, "customer_id": customer.customer_id}


def test_a_customer_cannot_book_one_slot_twice(customer_factory: Any, route_clock: Any) -> None:
    # Given a customer who booked Monday 15 March 2027 at 10:00
    route_clock(paris(2027, 3, 12, 9, 0))
    customer = customer_factory()
    first = book(customer, paris(2027, 3, 15, 10, 0))
    assert first.status_code == 201

    # When they book it again
    again = book(customer, "2027-03-15T09:00:00Z", topic="Autre sujet")

    # Then 409 slot_unavailable, and they still have one appointment
    assert_error(again, 409, "slot_unavailable")
    assert appointments(customer) == [answer(first)]


def test_a_slot_taken_by_every_advisor_refuses_more_bookings_until_one_is_cancelled(
    customer_factory: Any, route_clock: Any
) -> None:
    # Given Tuesday 16 March 2027 at 11:00 booked by two customers (two advisors)
    route_clock(paris(2027, 3, 12, 9, 0))
    first, second, third = customer_factory(), customer_factory(), customer_factory()
    start = paris(2027, 3, 16, 11, 0)
    booked = [book(first, start), book(second, start)]
    assert [response.status_code for response in booked] == [201, 201]

    # When a third customer books it
    refused = book(third, start)

    # Then it is refused and they have nothing
    assert_error(refused, 409, "slot_unavailable")
    assert appointments(third) == []

    # When one of the first two cancels
    cancelled = first.call("DELETE", f"/appointments/{answer(booked[0])['appointment_id']}")

    # Then the third customer can book it, and the slot is full again
    assert cancelled.status_code == 204 and not cancelled.body
    assert appointments(first) == []
    assert book(third, start).status_code == 201
    assert_error(book(first, start), 409, "slot_unavailable")


def test_a_slot_taken_by_every_advisor_disappears_from_the_list_until_one_is_cancelled(
    customer_factory: Any, route_clock: Any
) -> None:
    # Given Wednesday 17 March 2027 at 16:30 booked by two customers (two advisors)
    route_clock(paris(2027, 3, 12, 9, 0))
    first, second, third = customer_factory(), customer_factory(), customer_factory()
    start = paris(2027, 3, 17, 16, 30)
    booked = [book(first, start), book(second, start)]
    assert [response.status_code for response in booked] == [201, 201]

    # When a third customer lists the slots of that day
    listed = slots(third, date(2027, 3, 17), date(2027, 3, 17))

    # Then that slot is not offered
    assert iso(start) not in {item["start"] for item in listed}
    assert len(listed) == 13

    # When one of the first two cancels, then it is offered again
    first.call("DELETE", f"/appointments/{answer(booked[0])['appointment_id']}")
    assert iso(start) in {item["start"] for item in slots(third, date(2027, 3, 17), date(2027, 3, 17))}


def test_three_customers_booking_the_last_seats_at_once_get_two(
    app: Any, customer_factory: Any, route_clock: Any, concurrent_app: Any
) -> None:
    # Given three customers wanting Monday 22 March 2027 at 15:00, on their own clients
    route_clock(paris(2027, 3, 19, 9, 0))
    customers = [customer_factory() for _ in range(3)]
    devices = [Customer(c.customer_id, c.email, c.token, new_client(app)) for c in customers]
    start = paris(2027, 3, 22, 15, 0)

    # When they book at the same time
    responses = concurrent_app(*[lambda device=device: book(device, start) for device in devices])

    # Then two advisors take two of them, the third is told the slot is gone
    assert sorted(response.status_code for response in responses) == [201, 201, 409]
    assert_error(
        next(response for response in responses if response.status_code == 409), 409, "slot_unavailable"
    )
    assert sum(len(appointments(customer)) for customer in customers) == 2


@pytest.mark.parametrize(
    "start",
    [
        pytest.param(paris(2027, 3, 17, 12, 0).isoformat(), id="lunch-break"),
        pytest.param(paris(2027, 3, 17, 11, 45).isoformat(), id="not-on-the-half-hour"),
        pytest.param(paris(2027, 3, 17, 18, 0).isoformat(), id="closing-time"),
        pytest.param(paris(2027, 3, 17, 8, 30).isoformat(), id="before-opening"),
        pytest.param(paris(2027, 3, 17, 17, 45).isoformat(), id="ends-after-closing"),
        pytest.param("2027-03-17T10:00:30+01:00", id="seconds"),
        pytest.param(paris(2027, 3, 13, 10, 0).isoformat(), id="saturday"),
        pytest.param(paris(2027, 3, 14, 10, 0).isoformat(), id="sunday"),
        pytest.param(paris(2027, 3, 3, 10, 0).isoformat(), id="past"),
        pytest.param(paris(2027, 3, 12, 9, 30).isoformat(), id="within-the-hour"),
        pytest.param(paris(2027, 5, 12, 10, 0).isoformat(), id="beyond-60-days"),
        pytest.param("2027-03-17T10:00:00", id="no-time-zone"),
        pytest.param("mercredi 10h", id="not-a-time"),
        pytest.param("2027-03-17T11:00:00Z", id="lunch-break-in-utc"),
    ],
)
def test_a_start_outside_the_bookable_slots_is_refused(
    customer_factory: Any, route_clock: Any, start: str
) -> None:
    # Given Friday 12 March 2027 at 9:00 in Paris
    route_clock(paris(2027, 3, 12, 9, 0))
    customer = customer_factory()

    # When the customer books it
    response = book(customer, start)

    # Then 422 names the start, and nothing is booked
    assert_error(response, 422, "validation_failed", "start")
    assert appointments(customer) == []


@pytest.mark.parametrize(
    ("body", "field"),
    [
        pytest.param({"topic": "Contrat", "phone": "0612345678"}, "start", id="no-start"),
        pytest.param(
            {"start": "2027-03-17T10:00:00+01:00", "topic": "", "phone": "0612345678"},
            "topic",
            id="empty-topic",
        ),
        pytest.param(
            {"start": "2027-03-17T10:00:00+01:00", "topic": "x" * 201, "phone": "0612345678"},
            "topic",
            id="long-topic",
        ),
        pytest.param(
            {"start": "2027-03-17T10:00:00+01:00", "topic": "Contrat", "phone": "12"}, "phone", id="bad-phone"
        ),
        pytest.param(
            {"start": "2027-03-17T10:00:00+01:00", "topic": "Contrat", "phone": 612345678},
            "phone",
            id="phone-number-type",
        ),
        pytest.param(
            {
                "start": "2027-03-17T10:00:00+01:00",
                "topic": "Contrat",
                "phone": "0612345678",
                "advisor": "Léa",
            },
            "advisor",
            id="unknown-field",
        ),
    ],
)
def test_an_invalid_booking_is_refused_naming_the_field(
    customer_factory: Any, route_clock: Any, body: dict[str, Any], field: str
) -> None:
    route_clock(paris(2027, 3, 12, 9, 0))
    customer = customer_factory()
    response = customer.call("POST", "/appointments", body)
    assert_error(response, 422, "validation_failed", field)
    assert appointments(customer) == []


def test_cancelling_someone_elses_appointment_is_not_found(customer_factory: Any, route_clock: Any) -> None:
    # Given customer B's appointment on Thursday 18 March 2027 at 14:30
    route_clock(paris(2027, 3, 12, 9, 0))
    owner, intruder = customer_factory(), customer_factory()
    appointment = answer(book(owner, paris(2027, 3, 18, 14, 30)))
    free_before = slots(owner, date(2027, 3, 18), date(2027, 3, 18))

    # When customer A cancels it
    response = intruder.call("DELETE", f"/appointments/{appointment['appointment_id']}")

    # Then 404, and B's appointment and the slot's bookings are as they were
    assert_error(response, 404, "not_found")
    assert appointments(owner) == [appointment]
    assert slots(owner, date(2027, 3, 18), date(2027, 3, 18)) == free_before


def test_an_appointment_cancelled_twice_is_not_found_the_second_time(
    customer_factory: Any, route_clock: Any
) -> None:
    route_clock(paris(2027, 3, 12, 9, 0))
    customer = customer_factory()
    appointment_id = answer(book(customer, paris(2027, 3, 18, 16, 0)))["appointment_id"]
    assert customer.call("DELETE", f"/appointments/{appointment_id}").status_code == 204
    assert_error(customer.call("DELETE", f"/appointments/{appointment_id}"), 404, "not_found")
    assert appointments(customer) == []


def test_a_past_appointment_cannot_be_cancelled(customer_factory: Any, route_clock: Any) -> None:
    # Given an appointment on Friday 19 March 2027 at 9:00, booked the week before
    route_clock(paris(2027, 3, 12, 9, 0))
    customer = customer_factory()
    appointment = answer(book(customer, paris(2027, 3, 19, 9, 0)))

    # When the customer cancels it once it has started
    route_clock(paris(2027, 3, 19, 9, 5))
    response = customer.call("DELETE", f"/appointments/{appointment['appointment_id']}")

    # Then 409 appointment_past, and it is still there
    assert_error(response, 409, "appointment_past")
    assert appointments(customer) == [appointment]


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("from=2027-03-20&to=2027-03-19", "to"),
        ("from=2027-03-01&to=2027-04-01", "to"),
        ("from=19-03-2027", "from"),
        ("to=tomorrow", "to"),
    ],
)
def test_an_invalid_slot_range_is_refused(
    customer_factory: Any, route_clock: Any, query: str, field: str
) -> None:
    route_clock(paris(2027, 3, 12, 9, 0))
    customer = customer_factory()
    assert_error(customer.call("GET", f"/appointments/slots?{query}"), 422, "validation_failed", field)


def test_a_range_of_31_days_is_the_longest(customer_factory: Any, route_clock: Any) -> None:
    route_clock(utc(2027, 3, 1, 6, 0))
    customer = customer_factory()
    items = slots(customer, date(2027, 3, 1), date(2027, 3, 31))
    assert {item["start"][:10] for item in items} >= {"2027-03-01", "2027-03-31"}
