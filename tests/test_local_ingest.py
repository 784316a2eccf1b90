"""Meter files fed to the local runtime (`make ingest FILE=…`): the runtime drops the file in
the consumption service's ingest bucket, sends the event S3 sends on AWS, and answers the
report the service leaves; the command exits non-zero unless every row was counted.
"""

from __future__ import annotations

import json
import random
import socket
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

from conftest import REPO, LocalRuntime, eventually
from customers import electricity_item, place_order, verified_customer


def electricity_meter(runtime: LocalRuntime) -> str:
    """The meter of a new customer's electricity contract, ordered over HTTP (billed in arrears,
    per invoice: nothing to pay upfront); its PDL, which meter files name, once the consumption
    service lists the meter."""
    customer = verified_customer(runtime, "ingest", first_name="Rémi", last_name="Fournier")
    pdl = f"{random.randrange(10**13, 10**14)}"
    place_order(runtime, customer, electricity_item(pdl))
    listed = eventually(
        lambda: [
            item["pdl"]
            for item in runtime.get("/consumption/meters", headers=customer.auth).json().get("items", [])
        ],
        timeout=30,
    )
    assert listed == [pdl], "the meter was not made in time"
    return pdl


def readings(meter_id: str, *rows: str) -> bytes:
    """A meter CSV file: the header, then `start,value` rows of `meter_id` (or rows as given)."""
    lines = ["meter_id,start,value"]
    lines += [row if row.count(",") >= 2 else f"{meter_id},{row}" for row in rows]
    return ("\n".join(lines) + "\n").encode()


def ingest(runtime: LocalRuntime, *arguments: str) -> subprocess.CompletedProcess[str]:
    """`make ingest FILE=… PORT=…`."""
    command = [sys.executable, "-m", "guichet_local.ingest", "--port", str(runtime.port), *arguments]
    return subprocess.run(command, cwd=REPO, capture_output=True, text=True, timeout=120)


def ingest_bucket(runtime: LocalRuntime) -> str:
    names = [bucket["Name"] for bucket in runtime.aws("s3").list_buckets()["Buckets"]]
    return next(name for name in names if "consumption-ingest" in name)


def test_a_dropped_file_reaches_the_service_and_its_report_comes_back(runtime: LocalRuntime) -> None:
    meter = electricity_meter(runtime)
    content = readings(meter, "2026-11-02T14:00:00+01:00,0.52", "2026-11-02T14:30:00+01:00,0.61")
    name = f"linky-{meter}-2026-11.csv"

    answer = runtime.post(f"/_local/ingest?name={name}", data=content, timeout=120)

    assert answer.status_code == 200, answer.text
    report = answer.json()
    assert report["file"] == f"readings/{name}"
    assert report["status"] == "ingested"
    assert (report["rows"], report["accepted"], report["rejected"]) == (2, 2, [])
    # as on AWS: the file is in the bucket under readings/, the report next to it under reports/
    s3, bucket = runtime.aws("s3"), ingest_bucket(runtime)
    assert s3.get_object(Bucket=bucket, Key=f"readings/{name}")["Body"].read() == content
    stored = json.loads(s3.get_object(Bucket=bucket, Key=f"reports/{name}.json")["Body"].read())
    assert stored == report

    again = runtime.post(f"/_local/ingest?name={name}", data=content, timeout=120)

    assert again.status_code == 200, again.text
    assert again.json()["status"] == "already_ingested"
    assert again.json()["sha256"] == report["sha256"]
    assert f"make ingest PORT={runtime.port} FILE=" in runtime.output()  # the banner tells how


def test_make_ingest_exits_zero_on_a_good_file_and_non_zero_on_a_rejected_row(
    runtime: LocalRuntime, tmp_path: Path
) -> None:
    meter = electricity_meter(runtime)
    good = tmp_path / "good.csv"
    good.write_bytes(readings(meter, "2026-11-03T00:00:00+01:00,0.25", "2026-11-03T00:30:00+01:00,0.26"))
    bad = tmp_path / "with-a-bad-row.csv"
    bad.write_bytes(
        readings(
            meter, "2026-11-04T00:00:00+01:00,0.3", "2026-11-04 at noon,0.4", "2026-11-04T01:00:00+01:00,-1"
        )
    )

    done = ingest(runtime, str(good))

    assert done.returncode == 0, done.stderr
    assert "readings/good.csv: ingested, 2 rows, 2 accepted" in done.stdout

    twice = ingest(runtime, str(good), "--name", "good-again.csv")

    assert twice.returncode == 0, twice.stderr
    assert "readings/good-again.csv: already ingested" in twice.stdout

    failed = ingest(runtime, str(bad), "--name", f"bad-{meter}.csv")

    assert failed.returncode == 1, failed.stdout
    assert f"readings/bad-{meter}.csv: ingested, 3 rows, 1 accepted, 2 rejected" in failed.stdout
    assert "  line 3: " in failed.stderr and "  line 4: " in failed.stderr
    assert "2 rows rejected (lines 3, 4)" in failed.stderr


def test_make_ingest_says_which_rows_are_too_old_to_be_billed(runtime: LocalRuntime, tmp_path: Path) -> None:
    meter = electricity_meter(runtime)
    file = tmp_path / "history.csv"
    file.write_bytes(
        readings(
            meter,
            "2026-11-05T10:00:00+01:00,1.5",
            "2025-09-04T10:00:00+02:00,0.5",
            "2025-09-04T10:30:00+02:00,0.5",
        )
    )

    done = ingest(runtime, str(file))

    assert done.returncode == 0, done.stderr
    assert "readings/history.csv: ingested, 3 rows, 3 accepted" in done.stdout
    assert (
        f"  2 rows of {meter} before 2025-09-05 (14 months before its last reading, 2026-11-05): "
        "kept, never billed (lines 3-4)"
    ) in done.stdout


def test_the_json_report_is_printed_as_the_service_wrote_it(runtime: LocalRuntime, tmp_path: Path) -> None:
    meter = electricity_meter(runtime)
    file = tmp_path / "one.csv"
    file.write_bytes(readings(meter, "2026-11-05T10:00:00+01:00,1.5"))

    done = ingest(runtime, str(file), "--json")

    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout)
    assert {
        key: report[key] for key in ("file", "status", "rows", "accepted", "rejected", "beyond_billing_limit")
    } == {
        "file": "readings/one.csv",
        "status": "ingested",
        "rows": 1,
        "accepted": 1,
        "rejected": [],
        "beyond_billing_limit": [],
    }


def test_a_file_name_that_is_not_one_is_refused(runtime: LocalRuntime, tmp_path: Path) -> None:
    for query in ("", "?name=../reports/x.csv", "?name=a/b.csv", "?name=.hidden", "?name=a.csv&name=b.csv"):
        answer = runtime.post(f"/_local/ingest{query}", data=b"meter_id,start,value\n")

        assert answer.status_code == 400, query
        assert answer.json()["error"]["code"] == "malformed_request", query
    assert runtime.get("/_local/ingest").status_code == 405

    file = tmp_path / "relevé de novembre.csv"
    file.write_bytes(b"meter_id,start,value\n")
    refused = ingest(runtime, str(file))
    assert refused.returncode == 1
    assert "is not a file name" in refused.stderr


def test_make_ingest_fails_when_the_runtime_is_not_running(tmp_path: Path) -> None:
    with socket.socket() as unused:
        unused.bind(("127.0.0.1", 0))
        port = unused.getsockname()[1]
    file = tmp_path / "readings.csv"
    file.write_bytes(b"meter_id,start,value\n")

    done = subprocess.run(
        [sys.executable, "-m", "guichet_local.ingest", "--port", str(port), str(file)],
        capture_output=True,
        text=True,
        timeout=30,
    )

    assert done.returncode == 1
    assert "not running" in done.stderr


def test_make_ingest_fails_when_no_consumption_service_runs(
    launch_runtime: Callable[..., LocalRuntime], tmp_path: Path
) -> None:
    without = launch_runtime("without-consumption", "--only", "auth", "--no-demo")
    try:
        file = tmp_path / "readings.csv"
        file.write_bytes(b"meter_id,start,value\n")

        done = ingest(without, str(file))

        assert done.returncode == 1
        assert "consumption service is not running here" in done.stderr
        assert "make ingest" not in without.output()  # the banner offers it only with the service
    finally:
        assert without.stop() == 0, without.output()


def test_make_ingest_needs_a_readable_file(tmp_path: Path) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "guichet_local.ingest", str(tmp_path / "missing.csv")],
        capture_output=True,
        text=True,
        timeout=30,
    )

    assert done.returncode == 2
    assert "cannot read" in done.stderr
