"""Package every service into a CloudFormation stack, and generate the shared stack.

    python -m infra.package --out build/infra [--stage prod] [--service auth] [--region eu-west-3]

For each Chalice app under services/ (see `service_stack.discover_services`):
  1. copy it to a work directory (services/ is never written), vendor the shared
     `guichet_contracts` package into the copy's vendor/ and hand the role to infra in the
     copy's .chalice/config.json; the provider's brand folder goes along
     (`guichet_contracts.brand`);
  2. ask Chalice which functions the app has, and write the merge template
     (`service_stack.merge_template`);
  3. `chalice package --merge-template` it into <out>/<service>/ (sam.json, deployment.zip);
  4. drop from deployment.zip Babel's data of the locales the customer area does not use
     (`prune_locale_data`), then add bytecode compiled by the runtime's Python to it;
  5. translate sam.json to plain CloudFormation, <out>/<service>/template.json.
Then <out>/shared/template.json (from every service found), the web portal's stack and files
(<out>/portal/template.json and site/, `infra.portal`) and <out>/manifest.json, which
`infra.deploy` reads. Chalice's dependency cache stays in the work directory between runs.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import time
import zipfile
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from guichet_contracts.brand import brand_folder, load_brand

from . import DEFAULT_REGION, LAMBDA_RUNTIME, stack_name
from .portal import build_site, portal_template
from .runtime import compile_package, packaging_python
from .sam import translate
from .service_stack import (
    DEAD_LETTER_QUEUE_ID,
    Service,
    chalice_config_for_infra,
    discover_services,
    environment_name,
    merge_template,
)
from .shared_stack import ServiceFacts, shared_template

ROOT = Path(__file__).resolve().parents[1]
SERVICES_DIR = ROOT / "services"
CONTRACTS = ROOT / "packages" / "guichet_contracts" / "guichet_contracts"
_SKIPPED_EVERYWHERE = {"__pycache__", ".pytest_cache", "tests"}
_SKIPPED_AT_TOP = {"vendor", "demo.py", ".venv"}
_FIXED_TIME = 946_684_800  # 2000-01-01
_LOCALE_DATA = "babel/locale-data/"


class PackagingError(RuntimeError):
    pass


@dataclass(frozen=True)
class Settings:
    out: Path
    work: Path
    stage: str
    region: str
    runtime: str
    python: str  # the packaging environment's interpreter, of the runtime's version
    build: bool  # False: only describe the service (for the shared stack)


def _ignore(top: Path) -> Callable[[str, list[str]], set[str]]:
    def ignored(directory: str, names: list[str]) -> set[str]:
        skipped = {name for name in names if name in _SKIPPED_EVERYWHERE or name.endswith(".pyc")}
        if Path(directory) == top:
            skipped |= _SKIPPED_AT_TOP & set(names)
        if Path(directory) == top / ".chalice":
            skipped |= {"deployments", "deployed"} & set(names)
        return skipped

    return ignored


def prepare_copy(service: Service, work: Path, stage: str) -> Path:
    """The service as Chalice will package it, in `work`; keeps Chalice's dependency cache."""
    copy = work / service.name
    if copy.exists():
        for child in copy.iterdir():
            if child.name == ".chalice":
                for item in child.iterdir():
                    if item.name != "deployments":
                        shutil.rmtree(item) if item.is_dir() else item.unlink()
            else:
                shutil.rmtree(child) if child.is_dir() and not child.is_symlink() else child.unlink()
    shutil.copytree(service.directory, copy, ignore=_ignore(service.directory), dirs_exist_ok=True)
    shutil.copytree(
        CONTRACTS,
        copy / "vendor" / CONTRACTS.name,
        ignore=shutil.ignore_patterns("__pycache__", "*.pyc"),
    )
    # the provider's brand (GUICHET_BRAND_DIR, or brand/), checked, read by the emails and PDFs
    brand = load_brand(brand_folder())
    shutil.copytree(brand.folder, copy / "vendor" / CONTRACTS.name / "packaged_brand")
    config_path = copy / ".chalice" / "config.json"
    config = chalice_config_for_infra(json.loads(config_path.read_text()), stage)
    config_path.write_text(json.dumps(config, indent=2) + "\n")
    # Chalice zips the app with the files' times: fixed, the same code gives the same zip.
    for path in copy.rglob("*"):
        if ".chalice" not in path.relative_to(copy).parts:
            os.utime(path, (_FIXED_TIME, _FIXED_TIME))
    return copy


def babel_locales(identifiers: Iterable[str] | None = None) -> set[str]:
    """The locales whose Babel data the emails read: each language's and its region's
    (`guichet_contracts.formatting.LOCALES`), and every locale they inherit from, as Babel loads
    them (`babel.localedata.load`: CLDR's parent exceptions, else the identifier cut at its last
    part, up to root): fr_FR, fr, en_GB, en_001, en, it_IT, it and root."""
    from babel.core import get_global
    from guichet_contracts.formatting import LOCALES

    exceptions = get_global("parent_exceptions")
    wanted = set(identifiers if identifiers is not None else [*LOCALES, *LOCALES.values()])
    kept = {"root"}
    for identifier in wanted:
        while identifier != "root" and identifier not in kept:
            kept.add(identifier)
            parts = identifier.split("_")
            identifier = exceptions.get(identifier) or ("root" if len(parts) == 1 else "_".join(parts[:-1]))
    return kept


def prune_locale_data(deployment_zip: Path, keep: set[str] | None = None) -> int:
    """Rewrites `deployment_zip` without Babel's data of the locales not in `keep` (default
    `babel_locales()`): CLDR for a thousand locales is 32 MB unzipped, the customer area reads
    eight of them. Returns how many files were dropped (none when Babel is not in the zip)."""
    keep = babel_locales() if keep is None else keep
    with zipfile.ZipFile(deployment_zip) as original:
        entries = original.infolist()
        dropped = {
            entry.filename
            for entry in entries
            if entry.filename.startswith(_LOCALE_DATA)
            and entry.filename.endswith(".dat")
            and entry.filename[len(_LOCALE_DATA) : -len(".dat")] not in keep
        }
        if not dropped:
            return 0
        pruned = deployment_zip.with_name(f"{deployment_zip.name}.pruned")
        with zipfile.ZipFile(pruned, "w") as target:
            for entry in entries:
                if entry.filename not in dropped:
                    target.writestr(entry, original.read(entry), compress_type=entry.compress_type)
    pruned.replace(deployment_zip)
    return len(dropped)


def _run(arguments: list[str], cwd: Path, settings: Settings, placeholders: list[str]) -> str:
    environment = {
        **os.environ,
        "AWS_DEFAULT_REGION": settings.region,
        "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")])),
        # the package's bytecode is compile_package's (the runtime's Python, unchecked hashes): pip,
        # which chalice runs, would otherwise put timestamped .pyc in the dependencies, kept as they are
        "PYTHONDONTWRITEBYTECODE": "1",
    }
    answer = subprocess.run(
        [
            settings.python,
            "-m",
            "infra.chalice_runner",
            "--runtime",
            settings.runtime,
            "--stage",
            settings.stage,
            *(f"--placeholder={name}" for name in placeholders),
            *arguments,
        ],
        cwd=cwd,
        env=environment,
        capture_output=True,
        text=True,
        check=False,
    )
    if answer.returncode != 0:
        raise PackagingError(f"{' '.join(arguments[:2])} failed in {cwd}:\n{answer.stdout}{answer.stderr}")
    return answer.stdout


def _facts(service: Service, chalice_template: dict[str, Any], merge: dict[str, Any]) -> ServiceFacts:
    api = chalice_template["Resources"].get("RestAPI")
    functions = tuple(
        (logical_id, merge["Resources"][logical_id]["Properties"]["FunctionName"])
        for logical_id, body in sorted(chalice_template["Resources"].items())
        if body["Type"] == "AWS::Serverless::Function"
    )
    queue = merge["Resources"].get(DEAD_LETTER_QUEUE_ID)
    return ServiceFacts(
        name=service.name,
        api_name=merge["Resources"]["RestAPI"]["Properties"]["Name"] if api else None,
        api_stage=api["Properties"]["StageName"] if api else None,
        functions=functions,
        dead_letter_queue=queue["Properties"]["QueueName"] if queue else None,
    )


def package_service(service: Service, settings: Settings) -> tuple[ServiceFacts, dict[str, float]]:
    """Packages one service (only describes it unless `settings.build`)."""
    timings: dict[str, float] = {}
    started = time.perf_counter()
    copy = prepare_copy(service, settings.work, settings.stage)
    placeholders = [environment_name(name) for name in service.resources.get("Outputs", {})]
    chalice_template = json.loads(_run(["describe"], copy, settings, placeholders))
    merge = merge_template(service, settings.stage, chalice_template)
    merge_path = settings.work / f"{service.name}.merge.json"
    merge_path.write_text(json.dumps(merge, indent=2) + "\n")
    facts = _facts(service, chalice_template, merge)
    timings["describe"] = time.perf_counter() - started
    if not settings.build:
        return facts, timings

    target = settings.out / service.name
    shutil.rmtree(target, ignore_errors=True)
    started = time.perf_counter()
    _run(
        [
            "chalice",
            "package",
            "--stage",
            settings.stage,
            "--pkg-format",
            "cloudformation",
            "--merge-template",
            str(merge_path),
            str(target),
        ],
        copy,
        settings,
        placeholders,
    )
    timings["chalice package"] = time.perf_counter() - started
    started = time.perf_counter()
    prune_locale_data(target / "deployment.zip")
    timings["locale data"] = time.perf_counter() - started
    started = time.perf_counter()
    compile_package(target / "deployment.zip", settings.python)
    timings["bytecode"] = time.perf_counter() - started
    started = time.perf_counter()
    sam_template = json.loads((target / "sam.json").read_text())
    template = translate(sam_template, settings.region)
    (target / "template.json").write_text(json.dumps(template, indent=2) + "\n")
    timings["translate"] = time.perf_counter() - started
    return facts, timings


def package(
    out: Path,
    stage: str = "prod",
    only: list[str] | None = None,
    region: str = DEFAULT_REGION,
    work: Path | None = None,
    runtime: str = LAMBDA_RUNTIME,
) -> dict[str, Any]:
    """Packages the services (all, or `only`) and writes the shared stack and the manifest."""
    services = discover_services(SERVICES_DIR)
    names = [service.name for service in services]
    unknown = sorted(set(only or []) - set(names))
    if unknown:
        raise PackagingError(f"no such service {unknown}; found {names}")
    started = time.perf_counter()
    python = packaging_python(
        runtime,
        [
            service.directory / "requirements.txt"
            for service in services
            if (service.directory / "requirements.txt").is_file()
        ],
    )
    print(f"packaging with {python} ({time.perf_counter() - started:.1f}s)")
    out = out.resolve()
    out.mkdir(parents=True, exist_ok=True)
    work = (work or out.parent / ".infra-work").resolve()
    work.mkdir(parents=True, exist_ok=True)
    packaged = {service.name: service.name in (only or names) for service in services}
    # Services left out keep the artifacts of an earlier run for the same stage and region.
    previous = _previous_manifest(out)
    same_target = previous.get("stage") == stage and previous.get("region") == region
    earlier = {
        entry["name"] for entry in previous.get("services", []) if same_target and entry.get("artifacts")
    }
    artifacts = {
        name: done or (name in earlier and (out / name / "template.json").is_file())
        for name, done in packaged.items()
    }

    def one(service: Service) -> tuple[ServiceFacts, dict[str, float]]:
        settings = Settings(out, work, stage, region, runtime, python, packaged[service.name])
        return package_service(service, settings)

    with ThreadPoolExecutor(max_workers=max(1, min(len(services), os.cpu_count() or 1))) as pool:
        results = list(pool.map(one, services))
    facts = [fact for fact, _ in results]

    shared = out / "shared"
    shared.mkdir(exist_ok=True)
    (shared / "template.json").write_text(json.dumps(shared_template(stage, facts), indent=2) + "\n")
    portal = out / "portal"
    portal.mkdir(exist_ok=True)
    (portal / "template.json").write_text(json.dumps(portal_template(stage), indent=2) + "\n")
    site = build_site(ROOT / "web", portal / "site")
    manifest = {
        "stage": stage,
        "region": region,
        "runtime": runtime,
        "services": [
            {
                "name": fact.name,
                "stack": stack_name(stage, fact.name),
                "artifacts": artifacts[fact.name],
                "rest_api_parameter": fact.rest_api_parameter,
            }
            for fact in facts
        ],
        "shared": {"stack": stack_name(stage, "shared")},
        "portal": {"stack": stack_name(stage, "portal"), "files": len(site)},
    }
    (out / "manifest.json").write_text(json.dumps(manifest, indent=2) + "\n")
    for fact, timings in results:
        spent = ", ".join(f"{step} {seconds:.1f}s" for step, seconds in timings.items())
        print(f"{fact.name}: {spent}" + ("" if packaged[fact.name] else " (described only)"))
    return manifest


def _previous_manifest(out: Path) -> dict[str, Any]:
    try:
        return dict(json.loads((out / "manifest.json").read_text()))
    except (OSError, ValueError):
        return {}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m infra.package", description=__doc__.split("\n")[0])
    parser.add_argument("--out", type=Path, required=True, help="output directory, e.g. build/infra")
    parser.add_argument("--stage", default="prod", help="Chalice stage to package (default prod)")
    parser.add_argument("--service", action="append", help="package only this service (repeatable)")
    parser.add_argument(
        "--region",
        default=os.environ.get("AWS_DEFAULT_REGION") or os.environ.get("AWS_REGION") or DEFAULT_REGION,
        help="region the templates are generated for (default $AWS_DEFAULT_REGION or %(default)s)",
    )
    parser.add_argument("--work", type=Path, help="work directory (default <out>/../.infra-work)")
    args = parser.parse_args(argv)
    started = time.perf_counter()
    try:
        package(args.out, args.stage, args.service, args.region, args.work)
    except (PackagingError, ValueError, RuntimeError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    print(f"packaged into {args.out} in {time.perf_counter() - started:.1f}s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
