"""`python -m guichet_local.ingest FILE [--name NAME]` (`make ingest`): feed a meter CSV file.

It drops FILE in the consumption service's ingest bucket of the running local runtime, as
`readings/<NAME>` (default: FILE's own name), waits until the service has handled it and prints
its report, with the rows older than 14 months before their meter's last reading (kept for the
history, never billed: French energy law). Exits 0 if every row was accepted (or the same file
was already ingested, which counts once), 1 if rows were rejected, the file was not handled or
the runtime is not running, 2 on bad use.
"""

from __future__ import annotations

import argparse
import json
import sys
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any
from urllib.parse import urlencode


def _post(port: int, name: str, content: bytes) -> dict[str, Any]:
    url = f"http://127.0.0.1:{port}/_local/ingest?{urlencode({'name': name})}"
    request = urllib.request.Request(url, data=content, headers={"Content-Type": "text/csv"}, method="POST")
    try:
        with urllib.request.urlopen(request, timeout=900) as response:  # noqa: S310 - our own http URL
            return dict(json.loads(response.read()))
    except urllib.error.HTTPError as error:
        try:
            answer = json.loads(error.read())
        except ValueError:
            answer = None
        if isinstance(answer, dict) and isinstance(answer.get("error"), dict):
            return answer
        return {"error": {"code": "http_error", "message": f"HTTP {error.code}"}}


def summary(report: dict[str, Any]) -> str:
    """One line about the file, e.g. `readings/a.csv: ingested, 48 rows, 47 accepted, 1 rejected`."""
    rejected = report.get("rejected") or []
    if report.get("status") == "already_ingested":
        parts = ["already ingested (the same content was), not counted again"]
    else:
        parts = [
            str(report.get("status")),
            f"{report.get('rows')} rows",
            f"{report.get('accepted')} accepted",
        ]
    if rejected:
        parts.append(f"{len(rejected)} rejected")
    sha256 = str(report.get("sha256") or "")
    return f"{report.get('file')}: {', '.join(parts)}" + (f" (sha256 {sha256[:12]}…)" if sha256 else "")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m guichet_local.ingest", description=__doc__)
    parser.add_argument("file", type=Path, help="a meter CSV file: meter_id,start,value[,direction]")
    parser.add_argument("--name", help="file name in the bucket, under readings/ (default: FILE's name)")
    parser.add_argument("--port", type=int, default=8000, help="port of the running runtime")
    parser.add_argument("--json", action="store_true", help="print the service's report as JSON")
    args = parser.parse_args(argv)
    try:
        content = args.file.read_bytes()
    except OSError as error:
        parser.error(f"cannot read {args.file}: {error.strerror}")
    name = args.name or args.file.name

    try:
        answer = _post(args.port, name, content)
    except (urllib.error.URLError, ConnectionError) as error:
        print(
            f"The local runtime is not running on port {args.port} ({error}). Start it with `make run`.",
            file=sys.stderr,
        )
        return 1
    failure = answer.get("error")
    if failure is not None:
        message = failure.get("message") if isinstance(failure, dict) else failure
        if isinstance(failure, dict) and failure.get("code") == "malformed_request" and not args.name:
            message += " Give it another with --name."
        print(f"{name} was not ingested: {message}", file=sys.stderr)
        return 1

    print(json.dumps(answer, indent=2, ensure_ascii=False) if args.json else summary(answer))
    if not args.json:
        for old in answer.get("beyond_billing_limit") or []:
            lines = ", ".join(
                f"{first}-{last}" if last > first else str(first) for first, last in old["lines"]
            )
            print(
                f"  {old['rows']} rows of {old['meter_id']} before {old['billable_from']} (14 months before "
                f"its last reading, {old['last_reading']}): kept, never billed (lines {lines})"
            )
    rejected = answer.get("rejected") or []
    if rejected:
        for row in rejected:
            print(f"  line {row.get('line')}: {row.get('error')}", file=sys.stderr)
        lines = ", ".join(str(row.get("line")) for row in rejected)
        plural = "s" if len(rejected) > 1 else ""
        print(f"{len(rejected)} row{plural} rejected (line{plural} {lines})", file=sys.stderr)
        return 1
    if answer.get("status") not in ("ingested", "already_ingested"):
        print(f"{name}: unexpected status {answer.get('status')!r}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
