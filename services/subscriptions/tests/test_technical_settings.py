"""Technical settings and order options per family, and the shape of the deployment's catalog.

Pure functions: no AWS, no environment. The module is imported straight from chalicelib so that this
file runs on its own.
"""

from __future__ import annotations

import base64
import json
import re
import sys
from collections import Counter
from pathlib import Path

import pytest

SERVICE = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(SERVICE))

from chalicelib import technical_settings as ts  # noqa: E402
from guichet_contracts.errors import ValidationFailed  # noqa: E402

CATALOG = json.loads((SERVICE / "chalicelib" / "catalog.json").read_text(encoding="utf-8"))
PRODUCTS = CATALOG["products"]


def openssh_key(kind: str = "ssh-ed25519", comment: str = "alice@laptop") -> str:
    """A well-formed OpenSSH public key line of `kind` (the key bytes are zeros)."""
    name = kind.encode()
    blob = len(name).to_bytes(4, "big") + name + (32).to_bytes(4, "big") + bytes(32)
    return f"{kind} {base64.b64encode(blob).decode()} {comment}".strip()


def refused(function, *arguments) -> dict[str, str]:
    """The fields of the 422 that `function(*arguments)` raises."""
    with pytest.raises(ValidationFailed) as raised:
        function(*arguments)
    assert raised.value.status == 422
    assert raised.value.code == "validation_failed"
    return raised.value.fields


ELECTRICITY = {"pdl": "12345678901234", "subscribed_power_kva": 6, "tariff_option": "base"}
VALID_SETTINGS = {
    "domain": {"dns_servers": ["ns1.nordnet.fr", "ns2.nordnet.fr"]},
    "website": {"domain": "etre-visible.com", "cms": "wordpress"},
    "hosting": {"database_name": "solutionslogis", "php_version": "8.3"},
    "internet": {"wifi_ssid": "Livebox-Dupont", "wifi_password": "correct horse battery"},
    "mobile": {"apn": "orange.fr", "roaming": False, "voicemail": True},
    "electricity": {"monthly_report": True},
}
VALID_OPTIONS = {
    "domain": {"domain_name": "etre-visible.com"},
    "website": {},
    "hosting": {"domain_name": "solutionslogis.fr"},
    "internet": {
        "installation_address": {"line1": "3 rue des Lilas", "postal_code": "59000", "city": "Lille"}
    },
    "mobile": {},
    "electricity": ELECTRICITY,
}


# --- families ------------------------------------------------------------------------------------


def test_the_families_are_those_of_the_api():
    assert ts.FAMILIES == ("domain", "website", "hosting", "internet", "mobile", "electricity")


@pytest.mark.parametrize(
    ("family", "required"),
    [
        ("domain", True),
        ("website", True),
        ("hosting", True),
        ("internet", True),
        ("mobile", False),
        ("electricity", False),
    ],
)
def test_settings_are_required_before_use_for_the_families_that_do_nothing_without_them(family, required):
    assert ts.settings_required(family) is required


@pytest.mark.parametrize("function", [ts.settings_required, lambda family: ts.validate_settings(family, {})])
def test_an_unknown_family_is_a_catalog_error_not_a_customer_one(function):
    with pytest.raises(ValueError, match="unknown product family"):
        function("gas")


@pytest.mark.parametrize("family", ts.FAMILIES)
def test_valid_settings_of_every_family_are_accepted(family):
    assert ts.validate_settings(family, VALID_SETTINGS[family])


@pytest.mark.parametrize("family", ts.FAMILIES)
def test_an_unknown_settings_field_is_named(family):
    fields = refused(ts.validate_settings, family, {**VALID_SETTINGS[family], "admin": True})
    assert fields == {"admin": "is not a known field"}


@pytest.mark.parametrize("family", ts.FAMILIES)
def test_settings_that_are_not_an_object_are_refused(family):
    assert refused(ts.validate_settings, family, ["not", "an", "object"]) == {"settings": "must be an object"}


# --- domain settings -----------------------------------------------------------------------------


def test_domain_settings_are_lowercased_and_the_redirection_normalised():
    settings = ts.validate_settings(
        "domain",
        {"dns_servers": ["NS1.Nordnet.FR.", " ns2.nordnet.fr"], "redirect_to": "HTTPS://Etre-Visible.com"},
    )
    assert settings == {
        "dns_servers": ["ns1.nordnet.fr", "ns2.nordnet.fr"],
        "redirect_to": "https://etre-visible.com/",
    }


@pytest.mark.parametrize(
    "servers",
    [
        ["ns1.nordnet.fr"],  # one only
        [f"ns{n}.nordnet.fr" for n in range(1, 8)],  # seven
        ["ns1.nordnet.fr", "NS1.nordnet.fr"],  # the same twice once lowercased
        ["ns1.nordnet.fr", "192.0.2.53"],  # an address, not a name
        ["ns1.nordnet.fr", "ns_2.nordnet.fr"],
        ["ns1.nordnet.fr", "-ns2.nordnet.fr"],
        ["ns1.nordnet.fr", "localhost"],
        ["ns1.nordnet.fr", "a" * 64 + ".fr"],
        ["ns1.nordnet.fr", 42],
    ],
)
def test_wrong_dns_servers_are_named(servers):
    fields = refused(ts.validate_settings, "domain", {"dns_servers": servers})
    assert list(fields) == ["dns_servers"]


def test_the_wrong_dns_server_is_counted_from_one():
    fields = refused(ts.validate_settings, "domain", {"dns_servers": ["ns1.nordnet.fr", "bad_name.fr"]})
    assert fields == {"dns_servers": "is not a valid hostname (entry 2)"}


@pytest.mark.parametrize(
    "url",
    [
        "http://etre-visible.com",
        "ftp://etre-visible.com",
        "https://",
        "https://user:pw@etre-visible.com",
        "https://etre visible.com",
        "https://etre-visible.com:99999",
        "javascript:alert(1)",
    ],
)
def test_a_redirection_must_be_an_https_url(url):
    fields = refused(ts.validate_settings, "domain", {**VALID_SETTINGS["domain"], "redirect_to": url})
    assert list(fields) == ["redirect_to"]


def test_domain_settings_without_dns_servers_say_they_are_required():
    assert refused(ts.validate_settings, "domain", {}) == {"dns_servers": "is required"}


# --- website settings ----------------------------------------------------------------------------


def test_website_settings_accept_an_international_domain_as_punycode():
    settings = ts.validate_settings("website", {"domain": "Café-Lille.FR", "cms": "none"})
    assert settings == {"domain": "xn--caf-lille-d4a.fr", "cms": "none"}


def test_wrong_website_settings_name_each_field():
    fields = refused(ts.validate_settings, "website", {"domain": "not a domain", "cms": "drupal"})
    assert set(fields) == {"domain", "cms"}
    assert fields["domain"] == "is not a valid domain name"


# --- hosting settings ----------------------------------------------------------------------------


def test_hosting_settings_keep_the_keys_and_default_to_none():
    key = openssh_key()
    settings = ts.validate_settings(
        "hosting", {"database_name": "site_2024", "ssh_public_keys": [f"  {key}  "], "dotnet_version": "8.0"}
    )
    assert settings == {"database_name": "site_2024", "dotnet_version": "8.0", "ssh_public_keys": [key]}
    assert ts.validate_settings("hosting", {"database_name": "abc"})["ssh_public_keys"] == []


@pytest.mark.parametrize(
    "kind", ["ssh-ed25519", "ssh-rsa", "ecdsa-sha2-nistp256", "ecdsa-sha2-nistp384", "ecdsa-sha2-nistp521"]
)
def test_every_openssh_key_type_the_hosts_take_is_accepted(kind):
    key = openssh_key(kind, comment="")
    assert ts.validate_settings("hosting", {"database_name": "abc", "ssh_public_keys": [key]})


@pytest.mark.parametrize(
    "name", ["ab", "1shop", "Shop", "shop-db", "a" * 65, "information_schema", "mysql", ""]
)
def test_a_wrong_database_name_is_named(name):
    assert list(refused(ts.validate_settings, "hosting", {"database_name": name})) == ["database_name"]


@pytest.mark.parametrize(
    "keys",
    [
        ["ssh-dss AAAAB3NzaC1kc3MAAACBAP"],
        ["ssh-ed25519"],
        ["ssh-ed25519 not*base64"],
        [openssh_key("ssh-rsa").replace("ssh-rsa", "ssh-ed25519", 1)],  # the type does not match the key
        [openssh_key() + "\nssh-rsa AAAA attacker"],  # a second authorized_keys line
        [openssh_key(), openssh_key()],
        [openssh_key(comment=f"key{n}") for n in range(11)],
    ],
)
def test_wrong_ssh_public_keys_are_named(keys):
    fields = refused(ts.validate_settings, "hosting", {"database_name": "abc", "ssh_public_keys": keys})
    assert list(fields) == ["ssh_public_keys"]


def test_an_unsupported_php_version_is_named():
    fields = refused(ts.validate_settings, "hosting", {"database_name": "abc", "php_version": "7.4"})
    assert fields == {"php_version": "must be one of: 8.1, 8.2, 8.3, 8.4"}


# --- internet settings ---------------------------------------------------------------------------


def test_internet_settings_default_to_no_static_ip():
    assert ts.validate_settings("internet", VALID_SETTINGS["internet"])["static_ip"] is False


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"wifi_ssid": ""}, "wifi_ssid"),
        ({"wifi_ssid": "é" * 17}, "wifi_ssid"),  # 34 bytes
        ({"wifi_ssid": "Box\nDupont"}, "wifi_ssid"),
        ({"wifi_password": "short"}, "wifi_password"),
        ({"wifi_password": "x" * 64}, "wifi_password"),
        ({"wifi_password": "mot de passe été"}, "wifi_password"),
        ({"static_ip": "yes"}, "static_ip"),
    ],
)
def test_wrong_internet_settings_are_named(changes, field):
    assert list(refused(ts.validate_settings, "internet", {**VALID_SETTINGS["internet"], **changes})) == [
        field
    ]


# --- mobile and electricity settings -------------------------------------------------------------


def test_mobile_settings_take_the_apn_in_any_case():
    settings = ts.validate_settings(
        "mobile", {"apn": " MMSBouygtel.com ", "roaming": True, "voicemail": False}
    )
    assert settings == {"apn": "mmsbouygtel.com", "roaming": True, "voicemail": False}


def test_wrong_mobile_settings_name_each_field():
    fields = refused(ts.validate_settings, "mobile", {"apn": "mon.apn", "roaming": 1})
    assert set(fields) == {"apn", "roaming", "voicemail"}
    assert fields["voicemail"] == "is required"


@pytest.mark.parametrize("alert", [0, -5, 1.5, "100", True])
def test_a_consumption_alert_must_be_a_positive_number_of_kwh(alert):
    fields = refused(
        ts.validate_settings, "electricity", {"monthly_report": False, "consumption_alert_kwh": alert}
    )
    assert list(fields) == ["consumption_alert_kwh"]


def test_electricity_settings_keep_the_alert():
    settings = ts.validate_settings("electricity", {"monthly_report": False, "consumption_alert_kwh": 350})
    assert settings == {"monthly_report": False, "consumption_alert_kwh": 350}


# --- order options -------------------------------------------------------------------------------


@pytest.mark.parametrize("family", ts.FAMILIES)
def test_valid_order_options_of_every_family_are_accepted(family):
    assert isinstance(ts.validate_order_options(family, VALID_OPTIONS[family]), dict)


@pytest.mark.parametrize("family", ts.FAMILIES)
def test_an_unknown_order_option_is_named(family):
    fields = refused(ts.validate_order_options, family, {**VALID_OPTIONS[family], "price_cents": 0})
    assert fields == {"price_cents": "is not a known field"}


@pytest.mark.parametrize("family", ["website", "hosting", "mobile"])
def test_families_without_required_options_take_none(family):
    assert ts.validate_order_options(family, None) == {}
    assert ts.validate_order_options(family, {}) == {}


def test_electricity_on_off_peak_gets_the_default_hours():
    options = ts.validate_order_options(
        "electricity", {"pdl": "1234 5678 9012 34", "subscribed_power_kva": 9, "tariff_option": "off_peak"}
    )
    assert options == {
        "pdl": "12345678901234",
        "subscribed_power_kva": 9,
        "tariff_option": "off_peak",
        "off_peak_hours": [{"start": "22:00", "end": "06:00"}],
    }


def test_electricity_on_base_has_no_off_peak_hours():
    assert ts.validate_order_options("electricity", ELECTRICITY)["off_peak_hours"] == []


@pytest.mark.parametrize(
    "hours",
    [
        [{"start": "23:00", "end": "07:00"}],
        [{"start": "2h00", "end": "7h00"}, {"start": "13:30", "end": "16:30"}],
        [
            {"start": "01:00", "end": "03:00"},
            {"start": "12:00", "end": "14:00"},
            {"start": "20:00", "end": "00:00"},
        ],
    ],
)
def test_off_peak_hours_totalling_eight_hours_are_accepted_and_zero_padded(hours):
    options = ts.validate_order_options(
        "electricity", {**ELECTRICITY, "tariff_option": "off_peak", "off_peak_hours": hours}
    )
    assert all(
        re.fullmatch(r"\d\d:\d\d", period[end]) for period in options["off_peak_hours"] for end in period
    )


@pytest.mark.parametrize(
    ("hours", "problem"),
    [
        ([{"start": "22:00", "end": "05:00"}], "must total 8 hours, not 7 h 00"),
        (
            [{"start": "22:00", "end": "06:00"}, {"start": "23:00", "end": "01:00"}],
            "periods must not overlap",
        ),
        ([{"start": "22:00", "end": "22:00"}], "a period cannot start and end at the same time"),
        (
            [{"start": "00:00", "end": "02:00"}] * 4,
            "can have at most 3 items",
        ),
    ],
)
def test_wrong_off_peak_hours_say_why(hours, problem):
    fields = refused(
        ts.validate_order_options,
        "electricity",
        {**ELECTRICITY, "tariff_option": "off_peak", "off_peak_hours": hours},
    )
    assert fields == {"off_peak_hours": problem}


def test_a_wrong_time_of_day_is_named_with_its_entry():
    fields = refused(
        ts.validate_order_options,
        "electricity",
        {**ELECTRICITY, "tariff_option": "off_peak", "off_peak_hours": [{"start": "22:00", "end": "25:00"}]},
    )
    assert fields == {"off_peak_hours.end": "must be a time of day as HH:MM (entry 1)"}


def test_off_peak_hours_are_dropped_on_the_base_option():
    # Given options stored on off_peak, merged with a change to base (as PATCH does)
    stored = ts.validate_order_options("electricity", {**ELECTRICITY, "tariff_option": "off_peak"})
    # When validated again / Then the hours are gone
    assert (
        ts.validate_order_options("electricity", {**stored, "tariff_option": "base"})["off_peak_hours"] == []
    )


def test_empty_off_peak_hours_on_the_off_peak_option_get_the_default():
    # Given options stored on base, merged with a change to off_peak
    stored = ts.validate_order_options("electricity", ELECTRICITY)
    options = ts.validate_order_options("electricity", {**stored, "tariff_option": "off_peak"})
    assert options["off_peak_hours"] == [{"start": "22:00", "end": "06:00"}]


@pytest.mark.parametrize("mode", ["monthly", "per_invoice"])
def test_an_electricity_order_may_choose_its_payment_mode(mode):
    assert (
        ts.validate_order_options("electricity", {**ELECTRICITY, "payment_mode": mode})["payment_mode"]
        == mode
    )
    fields = refused(ts.validate_order_options, "electricity", {**ELECTRICITY, "payment_mode": "cash"})
    assert list(fields) == ["payment_mode"]


@pytest.mark.parametrize("family", ts.FAMILIES)
def test_normalised_options_and_settings_validate_again_to_themselves(family):
    options = ts.validate_order_options(family, VALID_OPTIONS[family])
    assert ts.validate_order_options(family, options) == options
    settings = ts.validate_settings(family, VALID_SETTINGS[family])
    assert ts.validate_settings(family, settings) == settings


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"pdl": "1234567890123"}, "pdl"),
        ({"pdl": "1234567890123A"}, "pdl"),
        ({"pdl": 12345678901234}, "pdl"),
        ({"subscribed_power_kva": 7}, "subscribed_power_kva"),
        ({"subscribed_power_kva": "6"}, "subscribed_power_kva"),
        ({"tariff_option": "tempo"}, "tariff_option"),
    ],
)
def test_wrong_electricity_options_are_named(changes, field):
    assert list(refused(ts.validate_order_options, "electricity", {**ELECTRICITY, **changes})) == [field]


def test_an_electricity_order_names_every_missing_option():
    assert refused(ts.validate_order_options, "electricity", {}) == {
        "pdl": "is required",
        "subscribed_power_kva": "is required",
        "tariff_option": "is required",
    }


def test_a_domain_order_needs_a_domain_name_lowercased():
    assert ts.validate_order_options("domain", {"domain_name": "Etre-Visible.COM"}) == {
        "domain_name": "etre-visible.com"
    }
    assert refused(ts.validate_order_options, "domain", {}) == {"domain_name": "is required"}
    assert refused(ts.validate_order_options, "domain", {"domain_name": "etre-visible"}) == {
        "domain_name": "is not a valid domain name"
    }


@pytest.mark.parametrize("family", ["website", "hosting"])
def test_a_website_or_hosting_order_checks_its_optional_domain_name(family):
    assert list(refused(ts.validate_order_options, family, {"domain_name": "http://x.fr"})) == ["domain_name"]


@pytest.mark.parametrize(
    ("typed", "e164"),
    [
        ("06 12 34 56 78", "+33612345678"),
        ("07.81.23.45.67", "+33781234567"),
        ("+33 6 12 34 56 78", "+33612345678"),
        ("0033781234567", "+33781234567"),
    ],
)
def test_a_port_in_number_is_a_french_mobile_number_in_e164(typed, e164):
    assert ts.validate_order_options("mobile", {"port_in_number": typed}) == {"port_in_number": e164}


@pytest.mark.parametrize("typed", ["01 23 45 67 89", "0712345678", "06123456", "+44 7700 900123", "call me"])
def test_a_port_in_number_that_is_not_a_french_mobile_is_named(typed):
    fields = refused(ts.validate_order_options, "mobile", {"port_in_number": typed})
    assert fields == {"port_in_number": "must be a French mobile number (06 or 07)"}


def test_an_internet_order_needs_an_installation_address():
    address = {"line1": "  3 rue des Lilas ", "line2": "Bâtiment B", "postal_code": "59000", "city": "Lille"}
    options = ts.validate_order_options("internet", {"installation_address": address})
    assert options["installation_address"]["line1"] == "3 rue des Lilas"
    address["line2"] = "  "
    assert (
        "line2"
        not in ts.validate_order_options("internet", {"installation_address": address})[
            "installation_address"
        ]
    )
    assert refused(ts.validate_order_options, "internet", {}) == {"installation_address": "is required"}


def test_a_wrong_installation_address_names_each_nested_field():
    fields = refused(
        ts.validate_order_options,
        "internet",
        {"installation_address": {"line1": "", "postal_code": "5900", "floor": 2}},
    )
    assert fields == {
        "installation_address.line1": "must not be empty",
        "installation_address.postal_code": "must be a French postal code of 5 digits",
        "installation_address.city": "is required",
        "installation_address.floor": "is not a known field",
    }


# --- the catalog ---------------------------------------------------------------------------------


def test_the_catalog_is_in_euros():
    assert CATALOG["currency"] == "EUR"
    assert {product["currency"] for product in PRODUCTS} == {"EUR"}


def test_every_product_id_is_unique_and_kebab_case():
    ids = [product["product_id"] for product in PRODUCTS]
    assert [name for name, count in Counter(ids).items() if count > 1] == []
    assert all(re.fullmatch(r"[a-z0-9]+(-[a-z0-9]+)*", name) for name in ids)


@pytest.mark.parametrize("product", PRODUCTS, ids=lambda product: product["product_id"])
def test_every_product_is_well_formed(product):
    assert product["family"] in ts.FAMILIES
    assert type(product["price_cents"]) is int and product["price_cents"] > 0
    assert product["billing_period"] in {"month", "year"}
    assert product["commitment_months"] in {0, 12, 24}
    assert isinstance(product["requires_confirmation"], bool)
    assert product["name"].strip() and product["description"].strip()
    if product["family"] == "electricity":
        assert product["offer"] in {"base", "virtual_storage", "surplus_resale", "green"}
        rates = product["energy_rates_cents_per_kwh"]
        assert {"base"} <= set(rates) or {"peak", "off_peak"} <= set(rates)
        assert all(rate > 0 for rate in rates.values())
    else:
        assert product["offer"] is None
    for allowance in product.get("allowances", []):
        assert allowance["unit"] in {"GB", "min", "sms"}
        assert allowance["included"] is None or (
            type(allowance["included"]) is int and allowance["included"] > 0
        )


def test_every_family_offers_three_to_five_products():
    counts = Counter(product["family"] for product in PRODUCTS)
    assert set(counts) == set(ts.FAMILIES)
    assert all(3 <= count <= 5 for count in counts.values()), counts


def test_the_catalog_holds_the_products_of_the_seeds():
    by_name = {product["name"]: product for product in PRODUCTS}
    assert by_name["Pack Relais Confort"]["family"] == "domain"
    assert by_name["Pack Relais Confort"]["billing_period"] == "year"
    assert by_name["Pack Site Basic"]["family"] == "website"
    assert by_name["Pack Site Basic"]["requires_confirmation"] is True
    assert by_name["Pack hébergement Linux 100 Mo"]["storage_mb"] == 100
    assert by_name["Pack hébergement Windows 50 Mo"]["storage_mb"] == 50
    assert by_name["Stockage Virtuel"]["offer"] == "virtual_storage"
    assert by_name["Stockage Virtuel"]["battery_capacity_kwh"] > 0
    assert by_name["Boost Mon Surplus"]["offer"] == "surplus_resale"
    assert by_name["Boost Mon Surplus"]["resale_rate_cents_per_kwh"] > 0
    assert by_name["Électricité verte Pro"]["offer"] == "green"


def test_every_mobile_plan_states_its_data_allowance():
    for product in PRODUCTS:
        if product["family"] == "mobile":
            assert "GB" in {allowance["unit"] for allowance in product["allowances"]}, product["product_id"]
