"""A paper cost model for AWS: what each journey asked of AWS in the local run, times AWS's prices.

`make load` counts, for each journey done alone, the DynamoDB request units, the S3, SES,
EventBridge and Secrets Manager requests and the Lambda invocations and seconds (build/report/
load.json, `journeys`). This module prices one journey, then a customer's month under the usage
assumption below, then the month of 10k, 100k and 1M customers. `make report` writes it into
docs/PERFORMANCE.md; `python bench/cost_model.py` prints it from the last `make load`.

What it leaves out, on purpose: free tiers, storage (DynamoDB GB-months, S3 GB-months), data
transfer out, CloudWatch logs and alarms, KMS, the WAF, and the scheduled jobs' fixed
invocations (a few thousand a month whatever the number of customers). Lambda time is the time
measured locally, each worker on a whole core: at 128 MB Lambda gives a function about
128/1769 of a vCPU, so a handler bound by its CPU runs up to 14 times longer there; the
`Lambda, CPU-scaled` column is that upper bound.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
LOAD = ROOT / "build" / "report" / "load.json"

# AWS public prices, one place. Region eu-west-1 (Ireland), on-demand, no free tier, in USD.
# Written on 2026-12-04 from the price lists as last read by the authors (the build machine does
# not reach aws.amazon.com) and cross-checked that day against published transcriptions of those
# pages: DynamoDB on-demand in Ireland was $1.4135 (write) and $0.283 (read) per million request
# units before AWS halved on-demand prices on 2024-11-01 (US East after the cut: $0.625 and
# $0.125), hence 0.7068 and 0.1415; Lambda's x86 GB-second and request prices are the same in
# Ireland as in US East. Check them against the pages below before quoting a figure.
PRICES_REGION = "eu-west-1"
PRICES_DATE = "2026-12-04"
PRICES: dict[str, dict[str, Any]] = {
    "dynamodb_read_request_unit": {
        "usd": 0.1415 / 1e6,
        "per": "read request unit (on-demand, Standard table class)",
        "source": "https://aws.amazon.com/dynamodb/pricing/on-demand/",
    },
    "dynamodb_write_request_unit": {
        "usd": 0.7068 / 1e6,
        "per": "write request unit (on-demand, Standard table class)",
        "source": "https://aws.amazon.com/dynamodb/pricing/on-demand/",
    },
    "lambda_request": {
        "usd": 0.20 / 1e6,
        "per": "Lambda invocation",
        "source": "https://aws.amazon.com/lambda/pricing/",
    },
    "lambda_gb_second": {
        "usd": 0.0000166667,
        "per": "Lambda GB-second (x86)",
        "source": "https://aws.amazon.com/lambda/pricing/",
    },
    "api_gateway_request": {
        "usd": 3.50 / 1e6,
        "per": "API Gateway REST API request (first 333 million a month)",
        "source": "https://aws.amazon.com/api-gateway/pricing/",
    },
    "s3_get": {
        "usd": 0.0004 / 1000,
        "per": "S3 Standard GET (and other reads)",
        "source": "https://aws.amazon.com/s3/pricing/",
    },
    "s3_put": {
        "usd": 0.005 / 1000,
        "per": "S3 Standard PUT, COPY, POST, LIST",
        "source": "https://aws.amazon.com/s3/pricing/",
    },
    "ses_email": {
        "usd": 0.10 / 1000,
        "per": "SES outbound email",
        "source": "https://aws.amazon.com/ses/pricing/",
    },
    "eventbridge_event": {
        "usd": 1.00 / 1e6,
        "per": "EventBridge custom event published",
        "source": "https://aws.amazon.com/eventbridge/pricing/",
    },
    "secrets_manager_call": {
        "usd": 0.05 / 10000,
        "per": "Secrets Manager API call",
        "source": "https://aws.amazon.com/secrets-manager/pricing/",
    },
}
CPU_FULL_VCPU_MB = 1769  # Lambda's memory at which a function gets one whole vCPU

# What one customer does in a month: the assumption every figure below rests on.
ELECTRICITY_SHARE = 0.5  # customers with an electricity meter (readings, monthly close, charts)
CARD_PAYER_SHARE = 0.3  # customers paying by card in the portal (the others are debited)
USAGE_PER_MONTH: dict[str, tuple[float, str]] = {
    "login": (4.0, "4 logins a month"),
    "home": (4.0, "the dashboard after each login"),
    "invoices": (2.0, "the invoice history twice"),
    "invoice_pdf": (1.0, "one invoice PDF"),
    "consumption_year": (
        2.0 * ELECTRICITY_SHARE,
        f"a year of consumption twice, for the {ELECTRICITY_SHARE:.0%} with a meter",
    ),
    "payment": (1.0 * CARD_PAYER_SHARE, f"one card payment, for the {CARD_PAYER_SHARE:.0%} paying by card"),
    "meter_day": (
        30.0 * ELECTRICITY_SHARE,
        "a day of half-hourly readings ingested each day, per meter, in a file of its own (an upper "
        "bound for S3 and Lambda: a grid operator's file carries many meters)",
    ),
    "monthly_close": (
        1.0 * ELECTRICITY_SHARE,
        "the monthly close of each meter (its bill issued and mailed)",
    ),
}
POPULATIONS = (10_000, 100_000, 1_000_000)


def lambda_memory_mb(service: str) -> int:
    """The function's memory in the deployment: the service's `lambda_memory_size` in its
    .chalice/config.json, else Chalice's default, which the packaged templates then carry."""
    config = json.loads((ROOT / "services" / service / ".chalice" / "config.json").read_text())
    stage = config.get("stages", {}).get("prod", {})
    size = stage.get("lambda_memory_size", config.get("lambda_memory_size"))
    if size is None:
        from chalice.constants import DEFAULT_LAMBDA_MEMORY_SIZE

        size = DEFAULT_LAMBDA_MEMORY_SIZE
    return int(size)


def price_journey(counted: dict[str, Any]) -> dict[str, float]:
    """USD of one journey, by line, from its counts (a `journeys` entry of load.json)."""
    aws = counted["aws"]
    units = counted["dynamodb_units"]
    lines = {
        "DynamoDB": units["read_request_units"] * PRICES["dynamodb_read_request_unit"]["usd"]
        + units["write_request_units"] * PRICES["dynamodb_write_request_unit"]["usd"],
        "Lambda": 0.0,
        "Lambda, CPU-scaled": 0.0,
        "API Gateway": 0.0,
        "S3": sum(
            count * PRICES["s3_get" if operation in ("GET", "HEAD") else "s3_put"]["usd"]
            for operation, count in aws.get("s3", {}).items()
            if operation != "DELETE"  # free
        ),
        "SES": sum(aws.get("ses", {}).values()) * PRICES["ses_email"]["usd"],
        "EventBridge": aws.get("events", {}).get("PutEvents", 0) * PRICES["eventbridge_event"]["usd"],
        "Secrets Manager": sum(aws.get("secretsmanager", {}).values())
        * PRICES["secrets_manager_call"]["usd"],
    }
    for service, handlers in counted["lambda"].items():
        memory = lambda_memory_mb(service)
        scale = max(1.0, CPU_FULL_VCPU_MB / memory)
        for handler, figures in handlers.items():
            requests = figures["invocations"] * PRICES["lambda_request"]["usd"]
            gb_seconds = figures["seconds"] * memory / 1024
            lines["Lambda"] += requests + gb_seconds * PRICES["lambda_gb_second"]["usd"]
            lines["Lambda, CPU-scaled"] += requests + gb_seconds * scale * PRICES["lambda_gb_second"]["usd"]
            if handler == "api":
                lines["API Gateway"] += figures["invocations"] * PRICES["api_gateway_request"]["usd"]
    return lines


TOTAL_LINES = ("DynamoDB", "Lambda", "API Gateway", "S3", "SES", "EventBridge", "Secrets Manager")


def model(journeys: dict[str, Any]) -> dict[str, Any]:
    """Per journey (counts and USD), per customer-month, and per month for each population."""
    priced = {}
    for name, counted in journeys.items():
        lines = price_journey(counted)
        priced[name] = {
            "dynamodb_read_units": counted["dynamodb_units"]["read_request_units"],
            "dynamodb_write_units": counted["dynamodb_units"]["write_request_units"],
            "dynamodb_requests": sum(counted["aws"].get("dynamodb", {}).values()),
            "lambda_invocations": sum(
                h["invocations"] for s in counted["lambda"].values() for h in s.values()
            ),
            "lambda_ms": 1000 * sum(h["seconds"] for s in counted["lambda"].values() for h in s.values()),
            "usd": lines,
            "usd_total": sum(lines[line] for line in TOTAL_LINES),
            "per": counted.get("per", 1),
        }
    per_customer: dict[str, float] = {line: 0.0 for line in (*TOTAL_LINES, "Lambda, CPU-scaled")}
    for name, (times, _) in USAGE_PER_MONTH.items():
        if name not in priced:
            continue
        share = times / priced[name]["per"]
        for line, usd in priced[name]["usd"].items():
            per_customer[line] += usd * share
    month = sum(per_customer[line] for line in TOTAL_LINES)
    scaled = month - per_customer["Lambda"] + per_customer["Lambda, CPU-scaled"]
    return {
        "journeys": priced,
        "per_customer_month": per_customer,
        "per_customer_month_total": month,
        "per_customer_month_cpu_scaled": scaled,
        "populations": {str(n): {"usd": month * n, "usd_cpu_scaled": scaled * n} for n in POPULATIONS},
    }


def usd(value: float) -> str:
    if value >= 100:
        return f"${value:,.0f}"
    if value >= 1:
        return f"${value:,.2f}"
    return f"${value:.6f}".rstrip("0")


def render(journeys: dict[str, Any]) -> str:
    """The cost model as markdown: prices, assumptions, per journey, per month."""
    result = model(journeys)
    out = [
        f"Prices: AWS public on-demand prices for {PRICES_REGION} (Ireland), in USD, without free tiers, "
        f"written into `bench/cost_model.py` on {PRICES_DATE} from the pages below as last read by the "
        "authors and cross-checked that day against published transcriptions of them (the build does "
        "not fetch them; DynamoDB's on-demand prices are those after AWS halved them on 2024-11-01): "
        "check them there before quoting a figure.",
        "",
        "| per million of | USD | source |",
        "|---|---:|---|",
    ]
    for price in PRICES.values():
        out.append(f"| {price['per']} | {price['usd'] * 1e6:,.4f} | {price['source']} |")
    out += [
        "",
        "Usage assumed per customer and month:",
        "",
    ]
    out += [f"- `{name}` × {times:g}: {why}" for name, (times, why) in USAGE_PER_MONTH.items()]
    out += [
        "",
        "Per journey, as counted in the local run (the mean of its repeats; a job's row is the whole "
        "job, of which each meter it served bears its share):",
        "",
        "| journey | DynamoDB requests | read units | write units | Lambda invocations "
        "| Lambda ms (local) | USD |",
        "|---|---:|---:|---:|---:|---:|---:|",
    ]
    for name, journey in result["journeys"].items():
        per = journey["per"]
        label = f"`{name}`" + (f" (the job for {per} meters)" if per != 1 else "")
        out.append(
            f"| {label} | {journey['dynamodb_requests']:.1f} | "
            f"{journey['dynamodb_read_units']:.1f} | {journey['dynamodb_write_units']:.1f} | "
            f"{journey['lambda_invocations']:.1f} | {journey['lambda_ms']:.0f} | "
            f"{usd(journey['usd_total'])} |"
        )
    per_customer = result["per_customer_month"]
    out += [
        "",
        "A customer's month, by service: "
        + ", ".join(f"{line} {usd(per_customer[line])}" for line in TOTAL_LINES)
        + f"; in all {usd(result['per_customer_month_total'])} "
        f"({usd(result['per_customer_month_cpu_scaled'])} with Lambda's time CPU-scaled).",
        "",
        "| customers | USD a month | with Lambda's time CPU-scaled |",
        "|---:|---:|---:|",
    ]
    for population, figures in result["populations"].items():
        out.append(f"| {int(population):,} | {usd(figures['usd'])} | {usd(figures['usd_cpu_scaled'])} |")
    return "\n".join(out)


def main() -> int:
    if not LOAD.exists():
        print(f"{LOAD} is missing: run make load first", file=sys.stderr)
        return 1
    print(render(json.loads(LOAD.read_text())["journeys"]))
    return 0


if __name__ == "__main__":
    sys.exit(main())
