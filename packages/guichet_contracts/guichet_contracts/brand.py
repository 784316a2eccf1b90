"""The provider's brand: one folder (`brand/` at the top of the repository) that the portal, the
emails and the PDFs all read, so that a provider puts its name on the customer area without
touching code.

`brand/brand.json` holds the provider's name, its legal identity (what invoices and contracts
must print), its colours as role-named tokens, its support lines and hours, the terms of sale
(one Markdown file per language) and text overrides per language; the logo sits beside it
(`logo.svg` for pages and emails, `logo.png` for PDFs). The folder is checked when it is read:
a provider's typo stops the service at start (and `make package`), it never prints a wrong
invoice.

Text overrides (`texts`): `{"fr": {key: wording}, "en": {…}, "it": {…}}`, one flat table per
language, each key a message of one of the catalogs the customer area says its words from:
- the portal's (`web/i18n/<language>/*.json`: `"home_pay": "Régler"`), applied by the portal
  above its catalogs (served in `/brand.json`, web/core/brand.js);
- the API's (words.py: `"error.invalid_credentials": "…"`), in the error bodies;
- the emails' (their English source, mail.py: `"The %(provider)s team": "…"`);
- the PDFs' labels (the JSON label tables in `PDF_LABELS`: the letterhead's, the invoice's, the
  subscription documents' — contract, terms, proof of address), as `pdf.<table>.<path in the
  table>`: `"pdf.invoice.labels.due_on": "À payer avant le"`, `"pdf.documents.titles.contract":
  "Conditions particulières"`, `"pdf.letterhead.page": "Feuillet {n}"`; the `pdf.` prefix keeps
  them apart from the other catalogs' keys. A wording keeps the label's placeholders (`{n}`,
  `{date}`...): it may leave one out, never name another.
A key none of them has is refused where the catalogs are, in the repository (the tests, the local
run, `make package`, which builds the portal's site); a service's package holds the brand its
build checked.

Where the folder is found, first that exists:
1. `GUICHET_BRAND_DIR` (a second brand for a test, a provider's own folder for `make run`);
2. `packaged_brand/` inside this package, where `make package` copies `brand/` in each artifact;
3. `brand/` at the top of the repository (the services' tests, the local run).
"""

from __future__ import annotations

import functools
import json
import os
import re
import string
from html import escape
from pathlib import Path
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, ValidationError, field_validator

LANGUAGES = ("fr", "en", "it")
_PACKAGED = Path(__file__).parent / "packaged_brand"
_REPOSITORY = Path(__file__).resolve().parents[3] / "brand"
_COLOUR = r"^#[0-9a-fA-F]{6}$"
_PHONE = r"^\+[1-9][0-9]{6,14}$"  # E.164
_TIME = r"^([01][0-9]|2[0-3]):[0-5][0-9]$"
_SECTION = re.compile(r"^## +(?P<heading>.+?)\s*$", re.MULTILINE)

Colour = Annotated[str, StringConstraints(pattern=_COLOUR)]
Text = Annotated[str, StringConstraints(min_length=1, strip_whitespace=True)]
Day = Literal["mon", "tue", "wed", "thu", "fri", "sat", "sun"]


# the part of brand.json the portal reads, at `/brand.json` beside its pages (web/core/brand.js)
PUBLIC_PATH = "brand.json"
PUBLIC_FIELDS = ("name", "portal_title", "support", "legal", "colours")
# the repository, where the catalogs the texts reword are (absent from a service's package)
_ROOT = Path(__file__).resolve().parents[3]
# the PDFs' label tables (one JSON file beside the module that reads it, keyed by language, then
# by label), from the repository's top, by the name their keys take in `texts`: pdf.<name>.<path>
PDF_LABELS = {
    "letterhead": "packages/guichet_contracts/guichet_contracts/letterhead.json",
    "invoice": "services/invoices/chalicelib/invoice_pdf.json",
    "documents": "services/subscriptions/chalicelib/pdf_documents.json",
}


class BrandError(ValueError):
    """The brand folder is missing, or its brand.json does not say what it must."""


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Localized(_Strict):
    """A text given in each language of the customer area."""

    fr: Text
    en: Text
    it: Text

    def __call__(self, language: str) -> str:
        return str(getattr(self, language if language in LANGUAGES else "fr"))


class Address(_Strict):
    line1: Text
    line2: Text | None = None
    postal_code: Text
    city: Text
    country: Annotated[str, StringConstraints(pattern=r"^[A-Z]{2}$")]


class Legal(_Strict):
    """What the law asks a French company's invoices and contracts to print about it."""

    company: Text
    legal_form: Text
    address: Address
    siren: Annotated[str, StringConstraints(pattern=r"^[0-9]{9}$")]
    vat_number: Annotated[str, StringConstraints(pattern=r"^[A-Z]{2}[0-9A-Z]{2,13}$")]
    rcs: Text
    share_capital: Text
    website: Annotated[str, StringConstraints(pattern=r"^https://")]


class Colours(_Strict):
    """Colours by role (never by hue), so that a provider's palette fills every place alike."""

    primary: Colour  # links, buttons, headings' accents
    on_primary: Colour  # text on a primary background
    accent: Colour  # a second, sparing colour (the logo's, a highlight)
    text: Colour
    muted: Colour  # secondary text
    background: Colour  # behind cards and emails
    surface: Colour  # cards, the email's body, tables
    border: Colour  # inputs' borders: at least 3:1 against surface (WCAG 1.4.11)
    danger: Colour
    success: Colour
    warning: Colour


class Phone(_Strict):
    purpose: Literal["customer", "technical", "sales", "billing", "emergency"]
    number: Annotated[str, StringConstraints(pattern=_PHONE)]
    cost: Literal["free"] | Localized  # "free", or what a minute costs, in words

    @property
    def display(self) -> str:
        """The number as customers dial it: a French one in its national form ("0 800 66 55 44",
        "01 23 45 67 89"), any other in its international (E.164) form."""
        return national(self.number)


class Hours(_Strict):
    days: list[Day] = Field(min_length=1)
    opens: Annotated[str, StringConstraints(pattern=_TIME)]
    closes: Annotated[str, StringConstraints(pattern=_TIME)]


class Support(_Strict):
    email: Annotated[str, StringConstraints(pattern=r"^[^@\s]+@[^@\s]+\.[^@\s]+$")]
    phones: list[Phone] = Field(min_length=1)
    hours: list[Hours] = Field(min_length=1)


class Logo(_Strict):
    svg: Text
    png: Text


class TermsOfSale(_Strict):
    version: Text
    files: dict[Literal["fr", "en", "it"], Text]

    @field_validator("files")
    @classmethod
    def _every_language(cls, files: dict[str, str]) -> dict[str, str]:
        missing = [language for language in LANGUAGES if language not in files]
        if missing:
            raise ValueError(f"no terms of sale in {', '.join(missing)}")
        return files


class Brand(_Strict):
    name: Text  # as customers call the provider: "Guichet", in page titles and greetings
    portal_title: Localized  # "Espace client"
    logo: Logo
    legal: Legal
    colours: Colours
    support: Support
    terms_of_sale: TermsOfSale
    texts: dict[Literal["fr", "en", "it"], dict[str, str]] = Field(default_factory=dict)
    folder: Path = Field(exclude=True)

    def text(self, language: str, key: str, default: str) -> str:
        """The provider's wording of a text where it gives one, else the product's own."""
        return self.texts.get(language, {}).get(key, default)  # type: ignore[call-overload]

    def logo_path(self, kind: Literal["svg", "png"]) -> Path:
        return self.folder / getattr(self.logo, kind)

    def terms(self, language: str) -> list[tuple[str, str]]:
        """The terms of sale in `language` as (heading, text) sections, `{provider}` filled in."""
        language = language if language in LANGUAGES else "fr"
        source = (self.folder / self.terms_of_sale.files[language]).read_text(encoding="utf-8")  # type: ignore[index]
        parts = _SECTION.split(source)
        sections = []
        for heading, body in zip(parts[1::2], parts[2::2], strict=True):
            text = " ".join(body.split()).replace("{provider}", self.legal.company)
            sections.append((heading.replace("{provider}", self.legal.company), text))
        return sections

    def public(self) -> dict[str, object]:
        """What the portal may show of the brand (served as `/brand.json`): everything a visitor
        sees anyway on a page, an invoice or an email, each support number also as it is dialled
        in its country (`national`), and the overrides of the portal's own texts (`texts`, per
        language); the other overrides and the files stay out."""
        public = self.model_dump(mode="json", include=set(PUBLIC_FIELDS))
        for phone in public["support"]["phones"]:
            phone["national"] = national(phone["number"])  # as written in emails and PDFs
        portal = portal_keys()
        public["texts"] = {
            language: {key: text for key, text in self.texts.get(language, {}).items() if key in portal}  # type: ignore[call-overload]
            for language in LANGUAGES
        }
        return public

    def public_json(self) -> bytes:
        """`/brand.json`, as the local gateway serves it and the deployed site holds it."""
        return json.dumps(self.public(), ensure_ascii=False, indent=1).encode() + b"\n"

    def portal_page(self, html: str) -> str:
        """A page of the portal (web/index.html) with the brand's name where it says `{{brand_name}}`
        (the header's link, the page title, `<meta name="guichet-brand">` that the script reads)."""
        return html.replace("{{brand_name}}", escape(self.name, quote=True))

    def css_variables(self) -> str:
        """The colours as CSS custom properties (`--colour-primary`...), for the portal's style."""
        lines = [f"  --colour-{role.replace('_', '-')}: {value};" for role, value in self.colours]
        return ":root {\n" + "\n".join(lines) + "\n}\n"


def national(number: str) -> str:
    """A French E.164 number (+33 and nine digits) as written in France: "01 23 45 67 89", special
    numbers (08) as "0 800 66 55 44"; any other number unchanged (its E.164 form is dialable)."""
    if not re.fullmatch(r"\+33[1-9][0-9]{8}", number):
        return number
    digits = "0" + number[3:]
    if digits.startswith("08"):
        return f"{digits[0]} {digits[1:4]} {digits[4:6]} {digits[6:8]} {digits[8:]}"
    return " ".join(digits[index : index + 2] for index in range(0, 10, 2))


@functools.cache
def portal_keys(root: Path = _ROOT) -> frozenset[str]:
    """The keys of the portal's catalogs (web/i18n/<language>/*.json; the same in each language)."""
    return frozenset(
        key
        for path in (root / "web" / "i18n").glob("*/*.json")
        for key in json.loads(path.read_text("utf-8"))
    )


@functools.cache
def text_keys(root: Path = _ROOT) -> frozenset[str] | None:
    """Every key a brand's `texts` may reword (see the module's docstring): the portal's catalog
    keys, the API's message ids, the emails' messages and the PDFs' labels; None where the
    portal's catalogs are not (a service's package)."""
    from .catalogs import read
    from .words import FOLDER

    if not (root / "web" / "i18n").is_dir():
        return None
    folders = [
        FOLDER,
        Path(__file__).parent / "templates",
        *sorted(root.glob("services/*/chalicelib/templates")),
    ]
    messages = {
        str(message.id[0] if isinstance(message.id, tuple | list) else message.id)
        for folder in folders
        for language in LANGUAGES
        for message in read(folder, language)
        if message.id
    }
    return portal_keys(root) | frozenset(messages) | frozenset(pdf_labels(root))


def pdf_table(path: Path) -> str:
    """The name a PDF label table (the JSON file at `path`) takes in `texts` keys (`PDF_LABELS`)."""
    names = {Path(file).name: name for name, file in PDF_LABELS.items()}
    if path.name not in names:
        raise KeyError(f"{path.name} is not one of the PDFs' label tables (brand.PDF_LABELS)")
    return names[path.name]


def label_paths(table: dict[str, object], prefix: str = "") -> dict[str, str]:
    """A nested label table flattened: {"labels.due_on": "Date d'échéance", "duplicate_stamp": …}."""
    flat: dict[str, str] = {}
    for key, value in table.items():
        if isinstance(value, dict):
            flat.update(label_paths(value, f"{prefix}{key}."))
        else:
            flat[f"{prefix}{key}"] = str(value)
    return flat


@functools.cache
def pdf_labels(root: Path = _ROOT) -> dict[str, dict[str, str]]:
    """Every PDF label's `texts` key (`pdf.<table>.<path>`), with its wording per language."""
    labels: dict[str, dict[str, str]] = {}
    for name, file in PDF_LABELS.items():
        tables = json.loads((root / file).read_text("utf-8"))
        for language, table in tables.items():
            for path, wording in label_paths(table).items():
                labels.setdefault(f"pdf.{name}.{path}", {})[language] = wording
    return labels


def unknown_texts(brand: Brand, root: Path = _ROOT) -> dict[str, list[str]]:
    """Per language, the keys of the brand's `texts` no catalog has (none where they cannot be known)."""
    known = text_keys(root)
    if known is None:
        return {}
    found = {language: sorted(set(texts) - known) for language, texts in brand.texts.items()}
    return {language: keys for language, keys in found.items() if keys}


def misplaced_placeholders(brand: Brand, root: Path = _ROOT) -> dict[str, list[str]]:
    """Per language, the PDF labels the brand rewords with a placeholder the label does not fill
    (`{date}` where it fills `{n}`), or with a brace that opens no placeholder: printing them would
    fail. None where the label tables cannot be known (a service's package)."""
    if text_keys(root) is None:
        return {}
    labels = pdf_labels(root)
    found: dict[str, list[str]] = {}
    for language, texts in brand.texts.items():
        for key, wording in texts.items():
            if key in labels and not _placeholders(wording) <= _placeholders(*labels[key].values()):
                found.setdefault(language, []).append(key)
    return {language: sorted(keys) for language, keys in found.items()}


def _placeholders(*texts: str) -> set[str | None]:
    """The names of the `{placeholders}` of texts; None for a brace that opens none."""
    names: set[str | None] = set()
    for text in texts:
        try:
            names |= {name for _, name, _, _ in string.Formatter().parse(text) if name is not None}
        except ValueError:
            names.add(None)
    return names


def brand_folder() -> Path:
    configured = os.environ.get("GUICHET_BRAND_DIR")
    if configured:
        return Path(configured)
    return _PACKAGED if (_PACKAGED / "brand.json").is_file() else _REPOSITORY


@functools.cache
def _load(folder: Path) -> Brand:
    source = folder / "brand.json"
    try:
        data = json.loads(source.read_text(encoding="utf-8"))
    except (OSError, ValueError) as error:
        raise BrandError(f"cannot read {source}: {error}") from error
    try:
        brand = Brand.model_validate({**data, "folder": folder})
    except ValidationError as error:
        raise BrandError(f"{source} is not a valid brand: {error}") from error
    needed = [brand.logo.svg, brand.logo.png, *brand.terms_of_sale.files.values()]
    missing = [name for name in needed if not (folder / name).is_file()]
    if missing:
        raise BrandError(f"{source} names files that are not in {folder}: {', '.join(missing)}")
    unknown = unknown_texts(brand) if any(brand.texts.values()) else {}
    if unknown:
        said = "; ".join(f"{language}: {', '.join(keys)}" for language, keys in unknown.items())
        raise BrandError(f"{source} rewords texts that no catalog has (texts.{said})")
    unfit = misplaced_placeholders(brand) if any(brand.texts.values()) else {}
    if unfit:
        said = "; ".join(f"{language}: {', '.join(keys)}" for language, keys in unfit.items())
        raise BrandError(f"{source} rewords PDF labels with placeholders they do not fill (texts.{said})")
    return brand


def load_brand(folder: Path | None = None) -> Brand:
    """The brand in `folder`, or where it is found (see the module's docstring); read once."""
    return _load((folder or brand_folder()).resolve())


def copy_brand(target: Path, source: Path | None = None, **changes: object) -> Brand:
    """A copy of a brand folder (the configured one by default) in `target`, with top-level fields
    of its brand.json replaced by `changes`: a second brand to try a change on, checked as any."""
    import shutil

    shutil.copytree(source or brand_folder(), target)
    data = json.loads((target / "brand.json").read_text(encoding="utf-8"))
    (target / "brand.json").write_text(json.dumps({**data, **changes}, ensure_ascii=False), encoding="utf-8")
    return load_brand(target)
