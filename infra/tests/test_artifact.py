"""What each deployment.zip holds: the app, the shared contracts, bytecode for the runtime."""

from __future__ import annotations

import subprocess
import zipfile
from pathlib import Path

from infra import LAMBDA_RUNTIME
from infra.runtime import find_python
from infra.service_stack import Service

# Lambda's limit for the unzipped code of a function.
UNZIPPED_LIMIT = 250 * 1024 * 1024


def _runtime_magic_and_tag() -> tuple[bytes, str]:
    answer = subprocess.run(
        [
            find_python(LAMBDA_RUNTIME),
            "-c",
            "import importlib.util as u, sys; print(u.MAGIC_NUMBER.hex(), sys.implementation.cache_tag)",
        ],
        capture_output=True,
        text=True,
        check=True,
    )
    magic, tag = answer.stdout.split()
    return bytes.fromhex(magic), tag


def _app_modules(service: Service) -> list[str]:
    """The app's own modules, as paths inside the zip."""
    paths = ["app.py"]
    paths += [
        path.relative_to(service.directory).as_posix()
        for path in (service.directory / "chalicelib").rglob("*.py")
        if "tests" not in path.relative_to(service.directory).parts
    ]
    return paths


def test_the_zip_holds_the_app_and_the_contracts_and_no_tests(
    packaged: Path, services: list[Service]
) -> None:
    contracts = Path(__file__).resolve().parents[2] / "packages" / "guichet_contracts" / "guichet_contracts"
    for service in services:
        with zipfile.ZipFile(packaged / service.name / "deployment.zip") as archive:
            names = set(archive.namelist())
            unzipped = sum(entry.file_size for entry in archive.infolist())

        assert set(_app_modules(service)) <= names, service.name
        # Chalice puts the contents of vendor/ at the root of the zip, on the import path.
        for module in contracts.rglob("*"):
            if module.is_file() and "__pycache__" not in module.parts:
                assert f"guichet_contracts/{module.relative_to(contracts).as_posix()}" in names
        own = [name for name in names if name.split("/")[0] in ("app.py", "chalicelib", "guichet_contracts")]
        assert not [name for name in own if "tests" in name.split("/")], service.name
        assert not [name for name in names if name.startswith(("tests/", "vendor/")) or name == "demo.py"]
        assert unzipped < UNZIPPED_LIMIT, f"{service.name}: {unzipped / 1e6:.0f} MB unzipped"


def test_every_module_has_bytecode_of_the_runtime_with_unchecked_hash(
    packaged: Path, services: list[Service]
) -> None:
    magic, tag = _runtime_magic_and_tag()
    for service in services:
        with zipfile.ZipFile(packaged / service.name / "deployment.zip") as archive:
            names = set(archive.namelist())
            sources = [name for name in names if name.endswith(".py")]
            for source in sources:
                folder, _, module = source.rpartition("/")
                compiled = "/".join(filter(None, [folder, "__pycache__", f"{module[:-3]}.{tag}.pyc"]))
                assert compiled in names, compiled
            for module in _app_modules(service):
                folder, _, name = module.rpartition("/")
                header = archive.read(
                    "/".join(filter(None, [folder, "__pycache__", f"{name[:-3]}.{tag}.pyc"]))
                )[:8]
                assert header[:4] == magic
                # PEP 552 flags: 0b01 = hash-based, check_source unset.
                assert int.from_bytes(header[4:8], "little") == 0b01


def test_babel_ships_only_the_locale_data_the_customer_area_reads(
    packaged: Path, services: list[Service]
) -> None:
    from infra.package import babel_locales

    with_babel = 0
    for service in services:
        with zipfile.ZipFile(packaged / service.name / "deployment.zip") as archive:
            names = archive.namelist()
        data = [name for name in names if name.startswith("babel/locale-data/") and name.endswith(".dat")]
        locales = {name[len("babel/locale-data/") : -len(".dat")] for name in data}
        if "babel/__init__.py" in names:
            with_babel += 1
            assert locales == babel_locales(), service.name
    assert with_babel >= 3  # auth, invoices, subscriptions: their emails
