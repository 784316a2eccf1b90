"""Late readings billed as complements (chalicelib/complements.py): readings that arrive, or are
corrected, for a month already closed are billed at the meter's next close as `complements` of
its ConsumptionPeriodClosed — the difference with what was billed, at that month's tariff,
negative for a downward correction — each difference once however often files are fed; never
beyond 14 months before the point's last reading; with a virtual battery or a surplus kitty,
settled at the close that finds them.

Jobs are global: each test runs on an empty table of its own (`fresh_jobs`) at months of its own
(2060 and after); files are read as of a day the test sets.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from conftest import (
    ENERGY_RATES,
    STOCKAGE_TARIFF,
    SURPLUS_TARIFF,
    close_month,
    csv_file,
    electricity_meter,
    file_name,
    job_ran_until,
    ok,
    rows,
)

pytestmark = pytest.mark.usefixtures("fresh_jobs")
PARIS = ZoneInfo("Europe/Paris")
RATES = {name: str(rate) for name, rate in ENERGY_RATES.items()}
OFF_PEAK = [{"start": "22:00", "end": "06:00"}]


def feed(at: str, pdl: str, consumed: dict[str, str], injected: dict[str, str] | None = None) -> Any:
    """A file of these readings of a PDL read on `at` (a Paris day); its report."""
    from chalicelib import readings

    body = csv_file(rows(pdl, consumed), rows(pdl, injected or {}, "injection"))
    now = datetime.fromisoformat(f"{at}T08:00").replace(tzinfo=PARIS).astimezone(UTC)
    report = readings.ingest(f"readings/{file_name()}", body.encode(), now=now)
    assert report.rejected == [], report.rejected
    return report


def closed(published: Any, customer: Any, month: str) -> dict[str, Any]:
    (found,) = [
        event["detail"]["data"]
        for event in published.of(customer.customer_id, "ConsumptionPeriodClosed")
        if event["detail"]["data"]["month"] == month
    ]
    return dict(found)


def base_complement(month: str, kwh: str) -> dict[str, Any]:
    return {
        "month": month,
        "tariff_option": "base",
        "rates_cents_per_kwh": RATES,
        "consumed_kwh": kwh,
        "peak_kwh": kwh,
        "off_peak_kwh": "0",
    }


def test_readings_of_a_closed_month_are_billed_at_the_next_close_as_a_complement(
    customer_factory: Any, published: Any
) -> None:
    # Given a meter whose February 2060 was closed with 2 kWh
    customer = customer_factory()
    _, pdl = electricity_meter(customer, started_on="2060-01-01")
    feed("2060-02-15", pdl, {"2060-02-10T12:00:00+01:00": "2"})
    close_month("2060-03-01T03:00")

    # When a file at the end of March brings 3 kWh more of 20 February, and March (5 kWh) is closed
    feed("2060-03-31", pdl, {"2060-02-20T12:00:00+01:00": "3", "2060-03-10T12:00:00+01:00": "5"})
    close_month("2060-04-01T03:00")

    # Then March is billed its 5 kWh, and February's 3 kWh as a complement at February's rates
    march = closed(published, customer, "2060-03")
    assert march["consumed_kwh"] == "5"
    assert march["complements"] == [base_complement("2060-02", "3")]
    assert closed(published, customer, "2060-02")["complements"] == []


def test_each_difference_is_billed_once_however_often_files_are_fed(
    customer_factory: Any, published: Any
) -> None:
    # Given February 2061 closed with 2 kWh, then a file of 3 kWh more of 20 February fed in March,
    # twice, and March closed with that complement
    customer = customer_factory()
    _, pdl = electricity_meter(customer, started_on="2061-01-01")
    feed("2061-02-15", pdl, {"2061-02-10T12:00:00+01:00": "2"})
    close_month("2061-03-01T03:00")
    late = {"2061-02-20T12:00:00+01:00": "3"}
    feed("2061-03-05", pdl, late)
    feed("2061-03-06", pdl, late)
    close_month("2061-04-01T03:00")

    # When the same readings come again in another file in April, and April is closed
    feed("2061-04-10", pdl, {**late, "2061-02-10T12:00:00+01:00": "2"})
    close_month("2061-05-01T03:00")

    # Then February's 3 kWh were billed once, with March
    assert closed(published, customer, "2061-03")["complements"] == [base_complement("2061-02", "3")]
    assert closed(published, customer, "2061-04")["complements"] == []


def test_a_downward_correction_is_a_negative_complement(customer_factory: Any, published: Any) -> None:
    # Given February 2062 closed with 2 + 3 kWh
    customer = customer_factory()
    _, pdl = electricity_meter(customer, started_on="2062-01-01")
    feed("2062-02-25", pdl, {"2062-02-10T12:00:00+01:00": "2", "2062-02-20T12:00:00+01:00": "3"})
    close_month("2062-03-01T03:00")

    # When the grid operator corrects 20 February to 0.5 kWh in March, and March is closed
    feed("2062-03-05", pdl, {"2062-02-20T12:00:00+01:00": "0.5"})
    close_month("2062-04-01T03:00")

    # Then 2.5 kWh of February are credited at February's rates
    assert closed(published, customer, "2062-03")["complements"] == [base_complement("2062-02", "-2.5")]


def test_a_complement_keeps_its_days_peak_and_off_peak(customer_factory: Any, published: Any) -> None:
    # Given an off-peak meter (22:00–06:00) whose February 2063 was closed with nothing read
    customer = customer_factory()
    _, pdl = electricity_meter(
        customer, started_on="2063-01-01", tariff_option="off_peak", off_peak_hours=OFF_PEAK
    )
    close_month("2063-03-01T03:00")

    # When February's readings arrive in March: 4 kWh at noon, 1.5 kWh at 23:00
    feed("2063-03-05", pdl, {"2063-02-10T12:00:00+01:00": "4", "2063-02-10T23:00:00+01:00": "1.5"})
    close_month("2063-04-01T03:00")

    # Then the complement bills 4 kWh peak and 1.5 off-peak at February's rates
    (complement,) = closed(published, customer, "2063-03")["complements"]
    assert (complement["tariff_option"], complement["consumed_kwh"]) == ("off_peak", "5.5")
    assert (complement["peak_kwh"], complement["off_peak_kwh"]) == ("4", "1.5")


def test_a_month_the_service_never_closed_is_not_billed_as_a_complement(
    customer_factory: Any, published: Any
) -> None:
    # Given a meter from January 2064, and the job's first run on 1 April (it closes March only)
    customer = customer_factory()
    _, pdl = electricity_meter(customer, started_on="2064-01-01")
    close_month("2064-04-01T03:00")

    # When January's readings arrive in April, and April is closed
    feed("2064-04-10", pdl, {"2064-01-10T12:00:00+01:00": "7"})
    close_month("2064-05-01T03:00")

    # Then nothing of January is billed: this service never billed it
    assert closed(published, customer, "2064-04")["complements"] == []


def test_readings_older_than_14_months_before_the_last_one_are_never_billed(
    customer_factory: Any, published: Any
) -> None:
    # Given a meter from January 2065 whose March and May 2065 were closed, the job since covering
    # every month until May 2066, and readings until 20 June 2066
    from chalicelib import closing, meters

    customer = customer_factory()
    meter_id, pdl = electricity_meter(customer, started_on="2065-01-01")
    feed("2065-03-20", pdl, {"2065-03-10T12:00:00+01:00": "1"})
    feed("2065-05-20", pdl, {"2065-05-10T12:00:00+02:00": "1"})
    for month in ("2065-03", "2065-05"):
        closing.close(
            meters.owned(customer.customer_id, meter_id), month, now=datetime(2065, 6, 1, tzinfo=UTC)
        )
    job_ran_until("2066-05")
    feed("2066-06-21", pdl, {"2066-06-20T12:00:00+02:00": "1"})

    # When a file of late corrections comes in June 2066: 10 March 2065 (15 months before the last
    # reading) and 10 May 2065 (13 months before)
    report = feed("2066-06-22", pdl, {"2065-03-10T12:00:00+01:00": "9", "2065-05-10T12:00:00+02:00": "4"})
    close_month("2066-07-01T03:00")

    # Then the file's report names the March row as beyond the limit, and only May is billed
    assert report.beyond_billing_limit == [
        {
            "meter_id": pdl,
            "last_reading": "2066-06-20",
            "billable_from": "2065-04-20",
            "rows": 1,
            "lines": [[2, 2]],
        }
    ]
    assert closed(published, customer, "2066-06")["complements"] == [base_complement("2065-05", "3")]


def test_late_consumption_is_taken_from_the_virtual_battery_of_the_close_that_finds_it(
    customer_factory: Any, published: Any
) -> None:
    # Given a 300 kWh battery that stored 100 kWh in January 2067 and restored its 40 (60 left),
    # February consuming 10 (50 left)
    customer = customer_factory()
    _, pdl = electricity_meter(
        customer, offer="virtual_storage", tariff=STOCKAGE_TARIFF, started_on="2067-01-01"
    )
    feed("2067-01-20", pdl, {"2067-01-10T12:00:00+01:00": "40"}, {"2067-01-10T13:00:00+01:00": "100"})
    feed("2067-02-20", pdl, {"2067-02-10T12:00:00+01:00": "10"})
    job_ran_until("2066-12")
    close_month("2067-02-01T03:00")
    close_month("2067-03-01T03:00")

    # When March consumes 5, and late readings add 70 kWh to January and 20 kWh of injection to
    # February; then a correction takes 30 kWh off January again in April
    feed("2067-03-20", pdl, {"2067-03-10T12:00:00+01:00": "5"})
    feed("2067-03-21", pdl, {"2067-01-20T12:00:00+01:00": "70"}, {"2067-02-10T13:00:00+01:00": "20"})
    close_month("2067-04-01T03:00")
    feed("2067-04-05", pdl, {"2067-01-20T12:00:00+01:00": "40"})
    close_month("2067-05-01T03:00")

    # Then March's close stores the 20 late kWh (70 in the battery), restores March's 5 and 65 of
    # January's 70 (empty), and bills January's 5 others as a complement at the grid rates
    march = closed(published, customer, "2067-03")
    assert march["battery"] == {
        "stored_kwh": "20",
        "restored_kwh": "70",
        "level_kwh": "0",
        "withdrawal_cents_per_kwh": "9.6",
    }
    assert march["consumed_kwh"] == "0"
    assert march["complements"] == [base_complement("2067-01", "5")]
    # and April's credits the 30 kWh at January's grid rates, the battery left as it was
    april = closed(published, customer, "2067-04")
    assert april["complements"] == [base_complement("2067-01", "-30")]
    assert (april["battery"]["restored_kwh"], april["battery"]["level_kwh"]) == ("0", "0")


def test_late_injection_of_a_surplus_seller_is_bought_at_the_close_that_finds_it(
    customer_factory: Any, published: Any
) -> None:
    # Given a surplus seller (10 c/kWh) whose February 2068 injected 10 kWh (paid 1 €)
    customer = customer_factory()
    meter_id, pdl = electricity_meter(
        customer, offer="surplus_resale", tariff=SURPLUS_TARIFF, started_on="2068-01-01"
    )
    feed("2068-02-20", pdl, {}, {"2068-02-10T13:00:00+01:00": "10"})
    job_ran_until("2068-01")
    close_month("2068-03-01T03:00")

    # When 5 kWh more of February arrive in March, which injects 2; then in April a correction
    # takes 8 kWh off February, April injecting 3; May injects 4
    feed("2068-03-20", pdl, {}, {"2068-02-20T13:00:00+01:00": "5", "2068-03-10T13:00:00+01:00": "2"})
    close_month("2068-04-01T03:00")
    feed("2068-04-20", pdl, {}, {"2068-02-10T13:00:00+01:00": "2", "2068-04-10T13:00:00+02:00": "3"})
    close_month("2068-05-01T03:00")
    feed("2068-05-20", pdl, {}, {"2068-05-10T13:00:00+02:00": "4"})
    close_month("2068-06-01T03:00")

    # Then March buys its 2 kWh and February's 5 at March's rate; April's 3 kWh go to what was
    # overpaid (8), the 5 left owed are taken from May's 4, and nothing is bought until June
    paid = [
        (
            event["detail"]["data"]["month"],
            event["detail"]["data"]["injected_kwh"],
            event["detail"]["data"]["amount_cents"],
        )
        for event in published.of(customer.customer_id, "SurplusPayout")
    ]
    assert sorted(paid) == [("2068-02", "10", 100), ("2068-03", "7", 70)]
    surplus = ok(customer.call("GET", "/surplus"))
    assert [(m["month"], m["injected_kwh"], m["credited_cents"]) for m in surplus["months"]] == [
        ("2068-02", 10, 100),
        ("2068-03", 7, 70),
        ("2068-04", 0, 0),
        ("2068-05", 0, 0),
    ]
    assert surplus["kitty_cents"] == 170
    from chalicelib.models import MonthClosed, meter_pk

    assert MonthClosed.get(meter_pk(meter_id), "CLOSED#2068-05").injection_owed_kwh == "-1"


def test_a_file_landing_while_the_close_reads_is_billed_with_it_or_after(
    customer_factory: Any, published: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Given February 2069 closed with 2 kWh, and 3 kWh more of February fed in March
    from chalicelib import closing, complements

    customer = customer_factory()
    _, pdl = electricity_meter(customer, started_on="2069-01-01")
    feed("2069-02-15", pdl, {"2069-02-10T12:00:00+01:00": "2"})
    close_month("2069-03-01T03:00")
    feed("2069-03-05", pdl, {"2069-02-20T12:00:00+01:00": "3"})

    # When, while March's close has read February's marks, another file brings 4 kWh of 25 February
    real_found = complements.found
    landed: list[bool] = []

    def found_then_a_file_lands(*args: Any, **kwargs: Any) -> Any:
        marks = real_found(*args, **kwargs)
        if not landed:
            landed.append(True)
            feed("2069-03-31", pdl, {"2069-02-25T12:00:00+01:00": "4"})
        return marks

    monkeypatch.setattr(closing.complements, "found", found_then_a_file_lands)
    close_month("2069-04-01T03:00")
    close_month("2069-05-01T03:00")

    # Then March's close read again and billed both: 7 kWh of February, and April nothing more
    assert closed(published, customer, "2069-03")["complements"] == [base_complement("2069-02", "7")]
    assert closed(published, customer, "2069-04")["complements"] == []


def corrections(published: Any, customer: Any) -> list[dict[str, Any]]:
    return [event["detail"]["data"] for event in published.of(customer.customer_id, "ConsumptionCorrected")]


def test_late_readings_of_an_ended_contract_are_billed_by_a_correction(
    customer_factory: Any, published: Any
) -> None:
    # Given a contract that ended on 15 March 2062, its final month closed on 1 April with 2 kWh
    from datetime import date

    customer = customer_factory()
    _, pdl = electricity_meter(customer, started_on="2062-01-01")
    subscription_id = customer.subscriptions[-1]
    customer.cancel(subscription_id, ended_on=date(2062, 3, 15))
    feed("2062-03-16", pdl, {"2062-03-10T12:00:00+01:00": "2"})
    job_ran_until("2062-02")
    close_month("2062-04-01T03:00")
    assert closed(published, customer, "2062-03")["final"] is True

    # When the grid operator sends 4 kWh more of 12 March (and 9 kWh of 20 March, the next
    # occupant's day) on 10 April, and April and May are closed
    feed("2062-04-10", pdl, {"2062-03-12T12:00:00+01:00": "4", "2062-03-20T12:00:00+01:00": "9"})
    close_month("2062-05-01T03:00")
    close_month("2062-06-01T03:00")

    # Then the close of April bills the 4 kWh of its own days as a correction, once, and the
    # meter is no longer visited
    assert corrections(published, customer) == [
        {
            "correction_id": f"E{subscription_id}-2062-04",
            "customer_id": customer.customer_id,
            "meter_id": f"E{subscription_id}",
            "subscription_id": subscription_id,
            "month": "2062-04",
            "complements": [base_complement("2062-03", "4")],
        }
    ]
    from chalicelib.closing import active_meters

    assert f"E{subscription_id}" not in {meter.meter_id for meter in active_meters()}
