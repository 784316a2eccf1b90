"""A customers file to try the operator import with (README, "A provider's quickstart"): N made-up
customers as the provider's CRM would export them, in the CSV the import reads.

    python -m guichet_local.sample_customers 1000 > customers.csv
    python -m guichet_local.sample_customers 1000 --prefix crm2 > other.csv   # other ids and emails

The same arguments always make the same file (so importing it again changes nothing); the emails
are under example.org, which the local stage accepts and no mail server delivers to.
"""

from __future__ import annotations

import argparse
import csv
import io
import sys

COLUMNS = (
    "external_id",
    "email",
    "first_name",
    "last_name",
    "language",
    "address_line1",
    "address_postal_code",
    "address_city",
    "address_country",
)
FIRST_NAMES = (
    "Camille",
    "Louis",
    "Inès",
    "Hugo",
    "Jade",
    "Noah",
    "Léa",
    "Gabriel",
    "Chloé",
    "Arthur",
    "Giulia",
    "Marco",
)
LAST_NAMES = (
    "Martin",
    "Bernard",
    "Dubois",
    "Thomas",
    "Robert",
    "Richard",
    "Petit",
    "Durand",
    "Leroy",
    "Moreau",
    "Rossi",
    "Bianchi",
)
CITIES = (
    ("75011", "Paris"),
    ("69003", "Lyon"),
    ("13001", "Marseille"),
    ("31000", "Toulouse"),
    ("59000", "Lille"),
    ("33000", "Bordeaux"),
)
STREETS = (
    "rue de la République",
    "avenue Jean Jaurès",
    "boulevard Victor Hugo",
    "rue des Lilas",
    "place du Marché",
)


def rows(count: int, prefix: str = "crm") -> list[dict[str, str]]:
    made = []
    for n in range(1, count + 1):
        first, last = FIRST_NAMES[n % len(FIRST_NAMES)], LAST_NAMES[(n // len(FIRST_NAMES)) % len(LAST_NAMES)]
        postal_code, city = CITIES[n % len(CITIES)]
        made.append(
            {
                "external_id": f"{prefix}-{n:06d}",
                "email": f"{prefix}-{n:06d}@example.org",
                "first_name": first,
                "last_name": last,
                "language": "it" if first in ("Giulia", "Marco") else "fr",
                "address_line1": f"{n % 120 + 1} {STREETS[n % len(STREETS)]}",
                "address_postal_code": postal_code,
                "address_city": city,
                "address_country": "FR",
            }
        )
    return made


def csv_text(count: int, prefix: str = "crm") -> str:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=COLUMNS, lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows(count, prefix))
    return out.getvalue()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("count", type=int, help="how many customers (1 to 50,000, the import's limit)")
    parser.add_argument("--prefix", default="crm", help="of the external ids and emails (letters, digits, -)")
    args = parser.parse_args(argv)
    if not 1 <= args.count <= 50_000:
        parser.error("count: 1 to 50,000")
    sys.stdout.write(csv_text(args.count, args.prefix))
    return 0


if __name__ == "__main__":
    sys.exit(main())
