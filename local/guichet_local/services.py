"""The services the local runtime serves, and the environment each one runs with.

Adding a service is one line in `SERVICES`: its directory is `services/<name>`, its Chalice
app is `app.py` there, its own resources are `resources.json` and its settings come from the
`local` stage of `.chalice/config.json`, exactly as at deployment.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
STAGE = "local"
# The URL the `local` stage of every config.json is written for; rewritten when the gateway
# listens elsewhere (another --port), so links in emails and the token issuer stay right.
DEFAULT_PUBLIC_URL = "http://127.0.0.1:8000"
_NAME = re.compile(r"^[a-z][a-z0-9_]*$")
_BASE_PATH = re.compile(r"^/[a-z0-9][a-z0-9_-]*$")


@dataclass(frozen=True)
class Service:
    name: str
    base_path: str
    directory: Path | None = None

    def __post_init__(self) -> None:
        if not _NAME.match(self.name):
            raise ValueError(f"service name {self.name!r} must be lowercase letters, digits and _")
        if not _BASE_PATH.match(self.base_path):
            raise ValueError(f"base path {self.base_path!r} must look like /name")

    @property
    def path(self) -> Path:
        return (self.directory or REPO / "services" / self.name).resolve()


SERVICES = [
    Service(name="auth", base_path="/auth"),
    Service(name="subscriptions", base_path="/subscriptions"),
    Service(name="invoices", base_path="/invoices"),
    Service(name="consumption", base_path="/consumption"),
]


def parse_service(spec: str) -> Service:
    """A service given on the command line as `name=/base_path=directory`."""
    parts = spec.split("=", 2)
    if len(parts) != 3 or not all(parts):
        raise ValueError(f"{spec!r} is not name=/base_path=directory")
    name, base_path, directory = parts
    service = Service(name=name, base_path=base_path, directory=Path(directory))
    if not (service.path / "app.py").is_file():
        raise ValueError(f"{service.path} has no app.py")
    return service


def check_registry(services: list[Service]) -> None:
    names = [service.name for service in services]
    paths = [service.base_path for service in services]
    if len(set(names)) != len(names):
        raise ValueError(f"two services share a name: {names}")
    if len(set(paths)) != len(paths):
        raise ValueError(f"two services share a base path: {paths}")


def chalice_config(service: Service) -> dict:
    config_file = service.path / ".chalice" / "config.json"
    if not config_file.is_file():
        return {}
    return json.loads(config_file.read_text())


def stage_environment(config: dict, stage: str = STAGE) -> dict[str, str]:
    """The environment variables of a stage: the top level, overridden by the stage's own."""
    environment = dict(config.get("environment_variables") or {})
    environment.update((config.get("stages", {}).get(stage) or {}).get("environment_variables") or {})
    return {key: str(value) for key, value in environment.items()}


def with_public_url(environment: dict[str, str], public_url: str) -> dict[str, str]:
    """Rewrite the values that point at the default local URL so that they point at public_url."""
    if public_url == DEFAULT_PUBLIC_URL:
        return dict(environment)
    return {
        key: public_url + value[len(DEFAULT_PUBLIC_URL) :] if _points_at_default(value) else value
        for key, value in environment.items()
    }


def _points_at_default(value: str) -> bool:
    return value == DEFAULT_PUBLIC_URL or value.startswith(DEFAULT_PUBLIC_URL + "/")
