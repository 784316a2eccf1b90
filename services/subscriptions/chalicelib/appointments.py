"""Phone appointments with an advisor (seed 001, "prendre un rendez-vous téléphonique").

Slots are 30 minutes in working hours (Monday to Friday, 9:00–12:00 and 14:00–18:00, in the
provider's time zone), bookable from one hour ahead and up to 60 days ahead. A slot takes as
many appointments as there are advisors: the booking increments the slot's count with a
condition, in the same transaction as the appointment, whose key (the customer and the start)
also stops a customer from booking one slot twice.

Dates are checked against a window around today before any date arithmetic: a booking UI asks
for the coming weeks, and a day near 9999-12-31 would overflow (a 500) as soon as a day is
added or a time zone applied.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from guichet_contracts.domain_events.subscriptions import AppointmentBooked
from guichet_contracts.words import Phrase
from pynamodb.exceptions import TransactWriteError

from . import customers, mailing
from .errors import AppointmentPast, NotFound, SlotUnavailable, ValidationFailed
from .models import Appointment, Slot, customer_pk, transaction
from .settings import settings
from .subscriptions import publish

SLOT = timedelta(minutes=30)
OPENING_HOURS = ((time(9, 0), time(12, 0)), (time(14, 0), time(18, 0)))
LEAD_TIME = timedelta(hours=1)
HORIZON_DAYS = 60
MAX_RANGE_DAYS = 31
DEFAULT_RANGE_DAYS = 14
# Slots are asked for at most this far ahead: beyond the 60 bookable days there is nothing to
# show, and past a year the request is not one a booking page makes.
SLOTS_WINDOW_DAYS = 366
SORT_PREFIX = "APPT#"  # an appointment's sort key in its customer's partition: APPT#<start>


def iso(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _slot_key(start: datetime) -> tuple[str, str]:
    moment = start.astimezone(UTC)
    return f"SLOTS#{moment:%Y-%m}", iso(moment)


def slot_starts(first_day: date, last_day: date) -> Iterator[datetime]:
    zone = settings.timezone
    day = first_day
    while day <= last_day:
        if day.weekday() < 5:
            for opening, closing in OPENING_HOURS:
                start = datetime.combine(day, opening, tzinfo=zone)
                while start + SLOT <= datetime.combine(day, closing, tzinfo=zone):
                    yield start
                    start += SLOT
        day += timedelta(days=1)


def is_bookable_start(start: datetime, now: datetime) -> bool:
    # The bounds first: comparing aware datetimes never overflows, converting year 1 or 9999 can.
    if not now + LEAD_TIME <= start <= now + timedelta(days=HORIZON_DAYS):
        return False
    local = start.astimezone(settings.timezone)
    if local.weekday() >= 5 or local.second or local.microsecond or local.minute % 30:
        return False
    inside = any(
        opening <= local.time() and (datetime.combine(local.date(), local.time()) + SLOT).time() <= closing
        for opening, closing in OPENING_HOURS
    )
    return inside


def free_slots(
    first_day: date | None, last_day: date | None, *, today: date, now: datetime
) -> list[dict[str, str]]:
    """Free slots from `first_day` (default today) to `last_day` (default two weeks on), both included."""
    latest = today + timedelta(days=SLOTS_WINDOW_DAYS)
    too_late = Phrase("field.days_from_today", days=SLOTS_WINDOW_DAYS)
    problems = {
        name: too_late
        for name, day in (("from", first_day), ("to", last_day))
        if day is not None and day > latest
    }
    if problems:
        raise ValidationFailed(fields=problems)
    first_day = first_day or today
    last_day = last_day or first_day + timedelta(days=DEFAULT_RANGE_DAYS - 1)
    if last_day < first_day:
        raise ValidationFailed(fields={"to": Phrase("field.not_before_from")})
    if (last_day - first_day).days >= MAX_RANGE_DAYS:
        raise ValidationFailed(fields={"to": Phrase("field.at_most_days_after_from", days=MAX_RANGE_DAYS)})
    # Past days have no bookable slot: start at today (and read no day of year 1).
    starts = [
        start for start in slot_starts(max(first_day, today), last_day) if is_bookable_start(start, now)
    ]
    if not starts:
        return []
    booked: dict[str, int] = {}
    for month in sorted({_slot_key(start)[0] for start in starts}):
        for slot in Slot.query(month, Slot.sk.between(iso(starts[0]), iso(starts[-1]))):
            booked[slot.sk] = int(slot.booked or 0)
    return [
        {"start": iso(start), "end": iso(start + SLOT)}
        for start in starts
        if booked.get(iso(start), 0) < settings.advisors
    ]


def as_dict(appointment: Appointment) -> dict[str, Any]:
    return {
        "appointment_id": appointment.appointment_id,
        "start": appointment.start,
        "end": appointment.end,
        "topic": appointment.topic,
        "phone": appointment.phone,
    }


def listing(
    customer_id: str, *, limit: int, cursor: dict[str, Any] | None
) -> tuple[list[dict[str, Any]], dict[str, Any] | None]:
    """One page of the customer's appointments, in time order (their sort key starts with the start)."""
    items: list[dict[str, Any]] = []
    last_key = cursor
    while len(items) < limit:
        page = Appointment.query(
            customer_pk(customer_id),
            Appointment.sk.startswith(SORT_PREFIX),
            limit=limit - len(items),
            last_evaluated_key=last_key,
        )
        items.extend(as_dict(item) for item in page)
        last_key = page.last_evaluated_key
        if not last_key:
            break
    return items, last_key


def book(customer_id: str, *, start: datetime, topic: str, phone: str, now: datetime) -> Appointment:
    if not is_bookable_start(start, now):
        raise ValidationFailed(fields={"start": Phrase("field.slot")})
    month, start_key = _slot_key(start)
    appointment = Appointment(
        customer_pk(customer_id),
        f"{SORT_PREFIX}{start_key}",
        appointment_id=uuid.uuid4().hex[:16],
        customer_id=customer_id,
        start=start_key,
        end=iso(start + SLOT),
        topic=topic,
        phone=phone,
        created_at=now,
    )
    try:
        with transaction() as write:
            # An UpdateItem writes only the attributes it names: the discriminator is named too,
            # or the first booking creates an item that Slot.query (which filters on it) never reads.
            write.update(
                Slot(month, start_key),
                actions=[Slot.booked.add(1), Slot.item_type.set(Slot)],
                condition=Slot.booked.does_not_exist() | (Slot.booked < settings.advisors),
            )
            write.save(appointment, condition=Appointment.sk.does_not_exist())
    except TransactWriteError:
        raise SlotUnavailable() from None
    publish(
        AppointmentBooked(
            appointment_id=appointment.appointment_id,
            customer_id=customer_id,
            start=appointment.start,
            end=appointment.end,
            topic=appointment.topic,
            phone=appointment.phone,
        )
    )
    customer = customers.get(customer_id)
    if customer is not None:
        local = start.astimezone(settings.timezone)
        mailing.notify(
            "appointment_confirmation",
            customer,
            start=f"{mailing.day(local.date(), customer.language)} {local:%H:%M}",
            topic=topic,
            phone=phone,
            appointments_url=mailing.portal_link("appointments"),
        )
    return appointment


def cancel(customer_id: str, appointment_id: str, *, now: datetime) -> None:
    found = [
        item
        for item in Appointment.query(customer_pk(customer_id), Appointment.sk.startswith(SORT_PREFIX))
        if item.appointment_id == appointment_id
    ]
    if not found:
        raise NotFound()
    appointment = found[0]
    if datetime.fromisoformat(appointment.start.replace("Z", "+00:00")) <= now:
        raise AppointmentPast()
    month, start_key = _slot_key(datetime.fromisoformat(appointment.start.replace("Z", "+00:00")))
    try:
        with transaction() as write:
            write.delete(appointment, condition=Appointment.sk.exists())
            # The discriminator again: it repairs a slot booked before the booking wrote it.
            write.update(Slot(month, start_key), actions=[Slot.booked.add(-1), Slot.item_type.set(Slot)])
    except TransactWriteError:
        raise NotFound() from None
