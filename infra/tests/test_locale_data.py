"""Babel's locale data pruned as `make package` prunes it still formats every amount, date and
email of the customer area as the whole data does."""

from __future__ import annotations

import json
import subprocess
import sys
import zipfile
from pathlib import Path

import babel

from infra.package import babel_locales, prune_locale_data

ROOT = Path(__file__).resolve().parents[2]
# what the emails and PDFs ask of Babel, in each language of the customer area
PROBE = """
import datetime, json, sys
from decimal import Decimal
from pathlib import Path
import babel
from guichet_contracts import formatting, mail
out = {"babel": babel.__file__}
moment = datetime.datetime(2026, 12, 5, 13, 5, tzinfo=datetime.timezone.utc)
for language in ("fr", "en", "it", "de"):
    out[language] = [
        formatting.money(123456, "EUR", language),
        formatting.amount(Decimal("0.1952"), "EUR", language, digits=4),
        formatting.day("2026-12-05", language),
        formatting.day("2026-12-05", language, style="short"),
        formatting.moment(moment, language),
        formatting.quantity("412.55", language),
        formatting.percent("5.5", language),
        formatting.weekdays(["mon", "tue", "wed", "sat"], language), formatting.clock("08:00", language),
        mail.render(Path(sys.argv[1]), "password_reset", language, "l@x.test", first_name="L",
                    customer_id="lm1-GU", reset_url="https://x.test", expires_minutes=2).text,
    ]
print(json.dumps(out))
"""


def _probe(path: list[str]) -> dict[str, object]:
    answer = subprocess.run(
        [sys.executable, "-c", PROBE, str(ROOT / "services" / "auth" / "chalicelib" / "templates")],
        env={"PYTHONPATH": ":".join(path), "PATH": "/usr/bin:/bin"},
        capture_output=True,
        text=True,
        check=True,
    )
    return json.loads(answer.stdout)  # type: ignore[no-any-return]


def test_pruned_locale_data_formats_everything_as_the_whole_data_does(tmp_path: Path) -> None:
    # Given Babel zipped as Chalice zips it, then pruned
    source = Path(babel.__file__).parent
    deployment = tmp_path / "deployment.zip"
    with zipfile.ZipFile(deployment, "w", compression=zipfile.ZIP_STORED) as archive:
        for path in sorted(source.rglob("*")):
            if path.is_file() and "__pycache__" not in path.parts:
                archive.write(path, f"babel/{path.relative_to(source)}")
    dropped = prune_locale_data(deployment)

    # Then it holds the data of eight locales, a thousand fewer
    with zipfile.ZipFile(deployment) as archive:
        archive.extractall(tmp_path / "task")
        names = archive.namelist()
        kept = {
            name[18:-4] for name in names if name.startswith("babel/locale-data/") and name.endswith(".dat")
        }
    assert kept == babel_locales() == {"root", "fr", "fr_FR", "en", "en_001", "en_GB", "it", "it_IT"}
    assert dropped > 900

    # And amounts, dates and an email in every language (another falls back to French) are the same
    contracts = str(ROOT / "packages" / "guichet_contracts")
    pruned = _probe([str(tmp_path / "task"), contracts, *sys.path[1:]])
    whole = _probe([contracts, *sys.path[1:]])
    assert pruned["babel"].startswith(str(tmp_path / "task"))  # type: ignore[union-attr]
    assert not whole["babel"].startswith(str(tmp_path))  # type: ignore[union-attr]
    for language in ("fr", "en", "it", "de"):
        assert pruned[language] == whole[language], language
    assert pruned["it"][0] == "1.234,56\u00a0€"  # type: ignore[index]
