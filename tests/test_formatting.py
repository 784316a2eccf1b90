"""Money, dates and quantities print alike in every email and PDF, in each language's own way."""

import datetime

import pytest
from guichet_contracts import formatting

NBSP, NNBSP = "\u00a0", "\u202f"


@pytest.mark.parametrize(
    "language, due, debt, kwh_price, vat",
    [
        ("fr", f"20,88{NBSP}€", f"-1{NNBSP}234,56{NBSP}€", f"0,1952{NBSP}€", f"5,5{NBSP}%"),
        ("en", "€20.88", "-€1,234.56", "€0.1952", "5.5%"),
        ("it", f"20,88{NBSP}€", f"-1.234,56{NBSP}€", f"0,1952{NBSP}€", "5,5%"),
        (
            "de",
            f"20,88{NBSP}€",
            f"-1{NNBSP}234,56{NBSP}€",
            f"0,1952{NBSP}€",
            f"5,5{NBSP}%",
        ),  # not offered: French
    ],
)
def test_amounts_follow_the_language(language, due, debt, kwh_price, vat):
    assert formatting.money(2088, "EUR", language) == due
    assert formatting.money(-123456, "EUR", language) == debt
    assert formatting.amount("0.1952", "EUR", language, digits=4) == kwh_price
    assert formatting.amount("0.13", "EUR", language, digits=4) == formatting.money(13, "EUR", language)
    assert formatting.percent("5.5", language) == vat


@pytest.mark.parametrize(
    "language, long, medium, at",
    [
        ("fr", "5 décembre 2026", "5 déc. 2026", "5 déc. 2026, 14:05"),
        ("en", "5 December 2026", "5 Dec 2026", "5 Dec 2026, 14:05"),
        ("it", "5 dicembre 2026", "5 dic 2026", "5 dic 2026, 14:05"),
    ],
)
def test_dates_follow_the_language_and_the_providers_time_zone(language, long, medium, at):
    assert formatting.day("2026-12-05", language) == long
    assert formatting.day(datetime.date(2026, 12, 5), language, style="medium") == medium
    instant = datetime.datetime(2026, 12, 5, 13, 5, 59, tzinfo=datetime.UTC)  # 14:05 in Paris
    assert formatting.moment(instant, language) == at


def test_quantities_keep_sensible_precision():
    assert formatting.quantity("412.1234", "fr") == "412,1"
    assert formatting.quantity("1412.05", "en", digits=3) == "1,412.05"
    assert formatting.quantity("3", "it", digits=0) == "3"


@pytest.mark.parametrize(
    "language, weekdays, saturday, scattered",
    [
        ("fr", "lun.\u2013ven.", "sam.", "lun., mer.\u2013jeu."),
        ("en", "Mon\u2013Fri", "Sat", "Mon, Wed\u2013Thu"),
        ("it", "lun\u2013ven", "sab", "lun, mer\u2013gio"),
    ],
)
def test_opening_days_read_as_ranges_and_hours_in_the_language(language, weekdays, saturday, scattered):
    assert formatting.weekdays(["fri", "mon", "tue", "wed", "thu"], language) == weekdays
    assert formatting.weekdays(["sat"], language) == saturday
    assert formatting.weekdays(["mon", "wed", "thu"], language) == scattered
    assert formatting.clock("08:00", language) == "08:00"
