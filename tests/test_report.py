"""`make report` (bench/report.py): the documents render from sample results, and a malformed
result stops it with nothing written."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest
from conftest import REPO

sys.path.insert(0, str(REPO / "bench"))

import report

JOURNEY = {
    "aws": {
        "dynamodb": {"GetItem": 2, "TransactWriteItems": 1},
        "s3": {"GET": 1, "PUT": 1},
        "ses": {"SendRawEmail": 1},
        "events": {"PutEvents": 2},
    },
    "dynamodb_units": {"read_request_units": 1.0, "write_request_units": 4.0},
    "lambda": {
        "invoices": {
            "api": {"invocations": 2, "seconds": 0.05},
            "on_order_placed": {"invocations": 1, "seconds": 0.02},
        }
    },
    "runs": 3,
}


def sample_results(results: Path) -> None:
    (results / "junit").mkdir(parents=True)
    (results / "tiers").mkdir()
    (results / "bench.json").write_text(
        json.dumps(
            {
                "measured_on": "2026-12-04",
                "command": "make bench",
                "benches": {
                    "auth_bench.py": [
                        "cold import: auth app 700 ms, import boto3 500 ms, ratio 1.40 (goal <= 1.3)"
                    ]
                },
                "failed": [],
            }
        )
    )
    routes = [
        {
            "route": "GET /auth/me",
            "requests": 120,
            "failures": 0,
            "error_rate": 0.0,
            "p50_ms": 8,
            "p95_ms": 20,
            "p99_ms": 31,
        },
        {
            "route": "POST /auth/login",
            "requests": 30,
            "failures": 3,
            "error_rate": 0.1,
            "p50_ms": 120,
            "p95_ms": 300,
            "p99_ms": 410,
        },
    ]
    (results / "load.json").write_text(
        json.dumps(
            {
                "measured_on": "2026-12-04",
                "command": "make load",
                "settings": {"users": 10, "spawn_rate": 2, "seconds": 60, "repeats": 3, "cpus": 2},
                "load": {
                    "routes": routes,
                    "total": {"requests": 150, "failures": 3, "requests_per_second": 2.5},
                    "errors": [{"route": "POST /auth/login", "error": "HTTPError 503", "occurrences": 3}],
                    "exceptions": [],
                },
                "journeys": {"invoice_pdf": JOURNEY, "monthly_close": {**JOURNEY, "per": 4}},
            }
        )
    )
    (results / "junit" / "service-auth.xml").write_text(
        '<?xml version="1.0"?><testsuites><testsuite name="pytest" errors="0" failures="2" skipped="1" '
        'tests="301" timestamp="2026-12-04T10:00:00"></testsuite></testsuites>'
    )
    (results / "junit" / "local.xml").write_text(
        '<testsuite name="pytest" errors="1" failures="0" skipped="0" tests="40"></testsuite>'
    )
    (results / "tiers" / "faults.json").write_text(
        json.dumps(
            {
                "name": "Fault injection",
                "tried": "requests with DynamoDB failing",
                "count": 500,
                "held": 500,
                "command": "make test-faults",
                "details": ["503 with Retry-After: 40"],
            }
        )
    )
    (results / "tiers" / "security.json").write_text(
        json.dumps(
            {
                "name": "Security suite",
                "tried": "requests of an attacker over HTTP",
                "count": 3000,
                "held": 2999,
                "command": "make test-security",
                "measured_on": "2026-12-04",
                "details": [
                    "cross-customer requests by id: 2,004 tried, 2,004 held",
                    "forged or misused tokens on /auth: 996 tried, 995 held",
                ],
            }
        )
    )


def test_both_documents_render_from_the_results(tmp_path: Path) -> None:
    results, docs = tmp_path / "results", tmp_path / "docs"
    docs.mkdir()
    sample_results(results)

    assert report.main(["--results", str(results), "--docs", str(docs)]) == 0

    performance = (docs / "PERFORMANCE.md").read_text()
    assert "| cold import | auth app 700 ms, import boto3 500 ms, ratio 1.40 (goal <= 1.3) |" in performance
    assert "**Emulator figures.**" in performance
    assert "| `POST /auth/login` | 30 | 10.0% | 120 | 300 | 410 | 15.0 |" in performance  # 120 ÷ 8
    assert "| `monthly_close` (the job for 4 meters) |" in performance
    assert "| 1,000,000 |" in performance
    reliability = (docs / "RELIABILITY.md").read_text()
    assert (
        "| auth service tests | domain and route tests on moto | 300 | 298 (**2 did not**) "
        "| `make test-service-auth` |" in reliability
    )
    assert (
        "| Fault injection | requests with DynamoDB failing | 500 | 500 | `make test-faults` |" in reliability
    )
    assert "| 150 | 147 (**3 did not**) | `make load` |" in reliability
    assert "- 503 with Retry-After: 40" in reliability
    assert (
        "| Local runtime and end to end |" in reliability
        and "| 40 | 39 (**1 did not**) | `make test-local` |" in reliability
    )
    assert (
        "| Security suite | requests of an attacker over HTTP | 3,000 | 2,999 (**1 did not**) "
        "| `make test-security` |" in reliability
    )
    assert "**Security suite** (2026-12-04)" in reliability
    assert "- forged or misused tokens on /auth: 996 tried, 995 held" in reliability
    assert "In all: 3,983 of 3,990 held." in reliability


@pytest.mark.parametrize(
    "tier",
    [
        "not json",
        json.dumps(["a list"]),
        json.dumps({"name": "x", "tried": "y", "count": 3, "command": "z"}),  # no held
        json.dumps({"name": "x", "tried": "y", "count": "3", "held": 3, "command": "z"}),
        json.dumps({"name": "x", "tried": "y", "count": 3, "held": 4, "command": "z"}),
        json.dumps({"name": "x", "tried": "y", "count": 3, "held": True, "command": "z"}),
        json.dumps({"name": "x", "tried": "y", "count": 3, "held": 3, "command": "z", "details": "one"}),
    ],
)
def test_a_malformed_tier_stops_the_report_and_nothing_is_written(
    tmp_path: Path, tier: str, capsys: pytest.CaptureFixture[str]
) -> None:
    results, docs = tmp_path / "results", tmp_path / "docs"
    docs.mkdir()
    sample_results(results)
    (results / "tiers" / "broken.json").write_text(tier)

    assert report.main(["--results", str(results), "--docs", str(docs)]) == 1

    assert "broken.json" in capsys.readouterr().err
    assert list(docs.iterdir()) == []


def test_a_junit_file_that_is_not_xml_stops_the_report(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    results, docs = tmp_path / "results", tmp_path / "docs"
    docs.mkdir()
    sample_results(results)
    (results / "junit" / "service-invoices.xml").write_text("<testsuite tests='3'")

    assert report.main(["--results", str(results), "--docs", str(docs)]) == 1
    assert "service-invoices.xml: not JUnit XML" in capsys.readouterr().err
    assert list(docs.iterdir()) == []


def test_a_missing_load_result_stops_the_report(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    results, docs = tmp_path / "results", tmp_path / "docs"
    docs.mkdir()
    sample_results(results)
    (results / "load.json").unlink()

    assert report.main(["--results", str(results), "--docs", str(docs)]) == 1
    assert "load.json: missing" in capsys.readouterr().err


def test_a_tier_with_its_own_line_is_listed_once_and_known_runs_by_their_name(tmp_path: Path) -> None:
    results, docs = tmp_path / "results", tmp_path / "docs"
    docs.mkdir()
    sample_results(results)
    run = '<testsuites><testsuite name="pytest" tests="4" failures="0" errors="0" skipped="0"/></testsuites>'
    (results / "junit" / "security.xml").write_text(run)  # the security tier wrote its own line too
    (results / "junit" / "local-artifacts.xml").write_text(run.replace('tests="4"', 'tests="3"'))

    assert report.main(["--results", str(results), "--docs", str(docs)]) == 0

    reliability = (docs / "RELIABILITY.md").read_text()
    assert reliability.count("| Security suite |") == 1 and "| security |" not in reliability
    assert (
        "| Journeys from the packages |" in reliability
        and "| 3 | 3 | `make test-local-artifacts` |" in reliability
    )
