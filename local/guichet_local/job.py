"""`python -m guichet_local.job NAME [--at ISO]` (`make job`): run a scheduled job now.

It asks the running local runtime to run NAME (`<service>.<job>`) as of --at (default now)
and exits 0 if the job succeeded, 1 if it failed or the runtime is not running, 2 on bad use.
"""

from __future__ import annotations

import argparse
import json
import sys
import urllib.error
import urllib.request
from urllib.parse import quote


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m guichet_local.job", description=__doc__)
    parser.add_argument("name", help="<service>.<job>, e.g. auth.apply_pending_email_changes")
    parser.add_argument("--at", help="ISO 8601 time the job runs as of, e.g. 2026-11-24T10:00:00Z")
    parser.add_argument("--port", type=int, default=8000, help="port of the running runtime")
    args = parser.parse_args(argv)

    url = f"http://127.0.0.1:{args.port}/_local/jobs/{quote(args.name)}"
    body = json.dumps({"at": args.at} if args.at else {}).encode()
    request = urllib.request.Request(
        url, data=body, headers={"Content-Type": "application/json"}, method="POST"
    )
    try:
        with urllib.request.urlopen(request, timeout=900) as response:  # noqa: S310 - our own http URL
            answer = json.loads(response.read())
    except urllib.error.HTTPError as error:
        try:
            answer = json.loads(error.read())
        except ValueError:
            answer = {"ok": False, "error": f"HTTP {error.code}"}
    except (urllib.error.URLError, ConnectionError) as error:
        print(
            f"The local runtime is not running on port {args.port} ({error}). Start it with `make run`.",
            file=sys.stderr,
        )
        return 1
    if answer.get("ok"):
        print(f"{args.name} at {answer.get('at')}: {json.dumps(answer.get('result'))}")
        return 0
    failure = answer.get("error")
    message = failure.get("message") if isinstance(failure, dict) else failure
    print(f"{args.name} failed: {message}", file=sys.stderr)
    return 1


if __name__ == "__main__":
    sys.exit(main())
