"""Runs Chalice in a Chalice project directory, in its own process, with the runtime's Python.

    python -m infra.chalice_runner --runtime python3.12 --stage prod describe
        prints the SAM template Chalice generates for the app, before any build or merge, so
        that the merge template can name the app's functions;
    python -m infra.chalice_runner --runtime python3.12 --stage prod chalice package ...
        runs the Chalice command line.

Chalice takes the Lambda runtime from the Python running it: this refuses to run under any
other version than `--runtime`. Each app runs in its own process because every app imports
its own top-level `chalicelib`. Chalice imports the app to find its routes and handlers, and
an app may parse its settings at import time, so the process gets the stage's environment
from .chalice/config.json, and a placeholder for each variable the stack fills in at deploy
time (`--placeholder NAME`).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from typing import Any


def check_runtime(runtime: str) -> None:
    running = "python{}.{}".format(*sys.version_info[:2])
    if running != runtime:
        raise SystemExit(f"Chalice would package for {running}, not {runtime}: run this with {runtime}")


def use_stage_environment(stage: str, placeholders: list[str]) -> None:
    with open(os.path.join(".chalice", "config.json")) as file:
        config = json.load(file)
    os.environ.update(config.get("environment_variables", {}))
    os.environ.update(config.get("stages", {}).get(stage, {}).get("environment_variables", {}))
    os.environ.update({name: "packaging-placeholder" for name in placeholders})


def describe(stage: str) -> dict[str, Any]:
    from chalice.cli.factory import CLIFactory
    from chalice.deploy.appgraph import ApplicationGraphBuilder, DependencyBuilder
    from chalice.package import SAMTemplateGenerator

    factory = CLIFactory(project_dir=os.getcwd())
    config = factory.create_config_obj(stage)
    application = ApplicationGraphBuilder().build(config, stage)
    resources = DependencyBuilder().build_dependencies(application)
    generator = SAMTemplateGenerator(config, factory.create_package_options())
    template = generator.generate(resources)
    # the app's routes, which the API's definition (not generated before the build) will hold
    template["Metadata"] = {
        "GuichetRoutes": {path: sorted(methods) for path, methods in config.chalice_app.routes.items()}
    }
    return template


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m infra.chalice_runner")
    parser.add_argument("--runtime", required=True, help="Lambda runtime, e.g. python3.12")
    parser.add_argument("--stage", required=True)
    parser.add_argument("--placeholder", action="append", default=[], help="variable set at deploy time")
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("describe")
    chalice_command = commands.add_parser("chalice")
    chalice_command.add_argument("arguments", nargs=argparse.REMAINDER)
    args = parser.parse_args(argv)

    check_runtime(args.runtime)
    use_stage_environment(args.stage, args.placeholder)
    if args.command == "describe":
        # Values Chalice fills in at build time (code location, OpenAPI body) are placeholders here.
        json.dump(describe(args.stage), sys.stdout, default=str)
        return 0
    from chalice.cli import main as chalice_main

    sys.argv = ["chalice", *args.arguments]
    return int(chalice_main() or 0)


if __name__ == "__main__":
    sys.exit(main())
