"""Money, dates and quantities as a customer reads them, in the customer's language: one place,
over Babel (CLDR), for the emails and the PDFs of every service; the portal formats with the
browser's `Intl`, which reads the same CLDR data, so an amount prints alike in all three
("1 234,56 €" in French, "1.234,56 €" in Italian, "€1,234.56" in English).

Languages are the customer area's (`fr`, `en`, `it`), each with the region whose conventions it
follows (the portal's `LOCALES`); anything else is French, the default language.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable
from decimal import Decimal
from typing import Literal

LOCALES = {"fr": "fr_FR", "en": "en_GB", "it": "it_IT"}
DEFAULT_LANGUAGE = "fr"


def locale_of(language: str) -> str:
    return LOCALES.get(language, LOCALES[DEFAULT_LANGUAGE])


def money(cents: int, currency: str, language: str) -> str:
    """An amount in cents: "20,88 €"."""
    return amount(Decimal(cents) / 100, currency, language)


def amount(value: Decimal | int | str, currency: str, language: str, *, digits: int = 2) -> str:
    """An amount in units, with 2 to `digits` decimals (4 for a price per kWh: "0,1952 €")."""
    from babel.numbers import format_currency

    pattern = _pattern("currency", language, "0.00", "0.00" + "#" * max(digits - 2, 0))
    return str(
        format_currency(
            Decimal(str(value)), currency, format=pattern, locale=locale_of(language), currency_digits=False
        )
    )


def day(
    value: datetime.date | str, language: str, *, style: Literal["short", "medium", "long"] = "long"
) -> str:
    """A calendar day: "5 décembre 2026" (long), "5 déc. 2026" (medium), "05/12/2026" (short)."""
    from babel.dates import format_date

    if isinstance(value, str):
        value = datetime.date.fromisoformat(value[:10])
    return str(format_date(value, style, locale=locale_of(language)))


def moment(value: datetime.datetime, language: str, *, timezone: str = "Europe/Paris") -> str:
    """An instant, in the provider's time zone: "5 déc. 2026, 14:05"."""
    from babel.dates import format_datetime

    return str(format_datetime(value, "medium", tzinfo=_zone(timezone), locale=locale_of(language))).rsplit(
        ":", 1
    )[0]


def quantity(value: Decimal | float | int | str, language: str, *, digits: int = 1) -> str:
    """A measured quantity with at most `digits` decimals: kWh as "412,5"."""
    from babel.numbers import format_decimal

    pattern = "#,##0" + ("." + "#" * digits if digits else "")
    return str(format_decimal(Decimal(str(value)), pattern, locale=locale_of(language)))


def percent(rate: Decimal | str, language: str) -> str:
    """A rate given in percent ("20" or "5.5"): "20 %", "5,5 %"."""
    from babel.numbers import format_percent

    pattern = _pattern("percent", language, "#,##0", "#,##0.##")
    return str(format_percent(Decimal(str(rate)) / 100, pattern, locale=locale_of(language)))


WEEK = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


def weekdays(days: Iterable[str], language: str) -> str:
    """Days of the week ("mon"...), consecutive ones as a range: "lun.–ven.", "Mon–Fri", "sab."."""
    from babel.dates import get_day_names

    names = get_day_names("abbreviated", locale=locale_of(language))
    indexes = sorted({WEEK.index(name) for name in days})
    runs: list[list[int]] = []
    for index in indexes:
        if runs and runs[-1][-1] == index - 1:
            runs[-1].append(index)
        else:
            runs.append([index])
    return ", ".join(
        names[run[0]] if len(run) == 1 else f"{names[run[0]]}\u2013{names[run[-1]]}" for run in runs
    )


def clock(value: str, language: str) -> str:
    """A time of day given as "HH:MM", as the language writes it ("08:00", "8:00 am"...)."""
    from babel.dates import format_time

    return str(format_time(datetime.time.fromisoformat(value), "short", locale=locale_of(language)))


def _pattern(kind: Literal["currency", "percent"], language: str, digits: str, wanted: str) -> str:
    """The locale's own pattern for money or percentages (symbol, spacing), other decimals in it."""
    from babel.core import Locale

    formats = getattr(Locale.parse(locale_of(language)), f"{kind}_formats")
    standard = formats["standard"] if kind == "currency" else formats[None]
    return str(standard.pattern.split(";")[0].replace(digits, wanted, 1))


def _zone(name: str) -> datetime.tzinfo:
    from zoneinfo import ZoneInfo

    return ZoneInfo(name)
