"""The Lambda runtime's Python on this machine: packaging and bytecode are made with it.

Chalice takes the Lambda runtime from the Python that runs it, fetches the wheels of compiled
dependencies for that version only (pip's tags follow the running interpreter), and imports
the app to find its handlers. So `chalice package` runs in a virtualenv of the runtime's
version (python3.12 for Lambda's python3.12) holding Chalice and the services' requirements,
made once and kept in a cache keyed by their versions.

Bytecode: Lambda's code directory is read-only, so without `__pycache__` every cold start
compiles every imported module again (imports 2.6-2.8x slower). The .pyc files must come
from the runtime's own version; they use unchecked hashes, since the code never changes under
/var/task, and Python then neither stats nor hashes the sources.
"""

from __future__ import annotations

import glob
import hashlib
import importlib.metadata
import json
import os
import shutil
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

LAMBDA_TASK_ROOT = "/var/task"
PYTHON_VARIABLE = "GUICHET_LAMBDA_PYTHON"
CACHE_VARIABLE = "GUICHET_INFRA_CACHE"
# A fixed timestamp for what is added: the same code gives the same zip.
_EPOCH = (2000, 1, 1, 0, 0, 0)


class LambdaPythonError(RuntimeError):
    pass


def _version_of(executable: str) -> str | None:
    try:
        answer = subprocess.run(
            [executable, "-c", "import sys; print('%d.%d' % sys.version_info[:2])"],
            capture_output=True,
            text=True,
            timeout=30,
            check=False,
        )
    except OSError:
        return None
    return answer.stdout.strip() if answer.returncode == 0 else None


def find_python(runtime: str) -> str:
    """An interpreter of the runtime's version: $GUICHET_LAMBDA_PYTHON, this one, `python3.12`
    on PATH, or a pyenv installation."""
    version = runtime.removeprefix("python")
    candidates = [os.environ.get(PYTHON_VARIABLE, ""), sys.executable, shutil.which(f"python{version}") or ""]
    pyenv_root = os.environ.get("PYENV_ROOT", os.path.expanduser("~/.pyenv"))
    candidates += sorted(glob.glob(os.path.join(pyenv_root, "versions", f"{version}.*", "bin", "python3")))
    candidates += [f"/usr/bin/python{version}", f"/usr/local/bin/python{version}"]
    for candidate in candidates:
        if candidate and _version_of(candidate) == version:
            return candidate
    raise LambdaPythonError(
        f"no Python {version} found for the {runtime} runtime: "
        f"install python{version} or set {PYTHON_VARIABLE} to its path"
    )


def cache_directory() -> Path:
    default = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "guichet-infra"
    return Path(os.environ.get(CACHE_VARIABLE) or default)


def packaging_python(runtime: str, requirement_files: list[Path], cache: Path | None = None) -> str:
    """The interpreter of a virtualenv of the runtime's version with Chalice (the version this
    environment runs) and the given requirements; made on first use, then reused."""
    base = find_python(runtime)
    requirements = [f"chalice=={importlib.metadata.version('chalice')}"]
    for path in sorted(requirement_files):
        requirements += [
            line.split("#")[0].strip() for line in path.read_text().splitlines() if line.split("#")[0].strip()
        ]
    return _virtualenv(runtime, base, requirements, cache or cache_directory(), "packaging")


# What Lambda's Python runtime provides besides the standard library: boto3, with its own
# dependencies. The versions are those requirements/dev.txt pins (the services are tested with them).
LAMBDA_PROVIDED = ("boto3", "botocore", "jmespath", "python-dateutil", "s3transfer", "six", "urllib3")
DEV_REQUIREMENTS = Path(__file__).resolve().parents[1] / "requirements" / "dev.txt"


def lambda_provided_pins(requirements: Path = DEV_REQUIREMENTS) -> list[str]:
    """`name==version` of each package of `LAMBDA_PROVIDED`, as `requirements` pins it."""
    pins = {}
    for line in requirements.read_text().splitlines():
        name, separator, version = line.split("#")[0].strip().partition("==")
        if separator and name.lower().replace("_", "-") in LAMBDA_PROVIDED:
            pins[name.lower()] = f"{name}=={version.strip()}"
    missing = sorted(set(LAMBDA_PROVIDED) - set(pins))
    if missing:
        raise LambdaPythonError(f"{requirements} pins no version of {', '.join(missing)}")
    return [pins[name] for name in sorted(pins)]


def lambda_runtime_python(runtime: str, cache: Path | None = None) -> str:
    """The interpreter of a virtualenv of the runtime's version holding only what Lambda's
    runtime provides (boto3 and its dependencies, `lambda_provided_pins`), not even pip: where a
    deployment package is run as Lambda runs it. Made on first use, then reused."""
    return _virtualenv(
        runtime, find_python(runtime), lambda_provided_pins(), cache or cache_directory(), "lambda", bare=True
    )


def local_worker_python(runtime: str, cache: Path | None = None) -> str:
    """The interpreter the local runtime's workers run a deployment package with (`make run
    ARTIFACTS=1`): the runtime's version, what Lambda provides (boto3), and the worker's own tools,
    Chalice's local gateway and time-machine (for a controlled clock), at the versions of
    requirements/dev.txt; the package's own dependencies come from the package."""
    tools = [
        f"chalice=={importlib.metadata.version('chalice')}",
        f"time-machine=={importlib.metadata.version('time-machine')}",
    ]
    return _virtualenv(
        runtime,
        find_python(runtime),
        lambda_provided_pins() + tools,
        cache or cache_directory(),
        "local-worker",
    )


def _virtualenv(
    runtime: str, base: str, requirements: list[str], cache: Path, kind: str, *, bare: bool = False
) -> str:
    """A virtualenv of `base` with `requirements`, in `cache`, keyed by them (`bare`: pip removed
    once they are installed)."""
    key = hashlib.sha256("\n".join([os.path.realpath(base), *sorted(set(requirements))]).encode()).hexdigest()
    name = f"{runtime}-{key[:16]}" if kind == "packaging" else f"{runtime}-{kind}-{key[:16]}"
    environment = cache / name
    python = environment / "bin" / "python"
    if (environment / ".complete").exists():
        return str(python)
    cache.mkdir(parents=True, exist_ok=True)
    # Built aside, then renamed: a run that stops half-way leaves no broken environment.
    scratch = Path(tempfile.mkdtemp(prefix=f".{runtime}-", dir=cache))
    try:
        subprocess.run([base, "-m", "venv", str(scratch)], check=True, capture_output=True)
        steps = [["install", "--quiet", *sorted(set(requirements))]]
        if bare:
            steps.append(["uninstall", "--quiet", "--yes", "pip"])
        for step in steps:
            answer = subprocess.run(
                [str(scratch / "bin" / "python"), "-m", "pip", "--disable-pip-version-check", *step],
                capture_output=True,
                text=True,
                check=False,
            )
            if answer.returncode != 0:
                raise LambdaPythonError(f"could not make the {runtime} {kind} environment:\n{answer.stderr}")
        (scratch / ".complete").touch()
        try:
            scratch.rename(environment)
        except OSError:  # made meanwhile by another run
            if not (environment / ".complete").exists():
                raise
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    return str(python)


_COMPILE = """
import json, py_compile, sys
failed = []
for source, dfile in json.load(sys.stdin):
    try:
        py_compile.compile(source, cfile=source + "c", dfile=dfile, doraise=True,
                           invalidation_mode=py_compile.PycInvalidationMode.UNCHECKED_HASH)
    except py_compile.PyCompileError as error:
        failed.append(str(error))
print(json.dumps({"tag": sys.implementation.cache_tag, "failed": failed}))
"""


def compile_package(deployment_zip: Path, python: str, cache: Path | None = None) -> int:
    """Adds the .pyc of every module of the zip to it, in place. Returns how many were added.

    A .pyc depends only on the source, its path and the Python version, so compiled files are
    kept in the cache: the dependencies, unchanged between runs, are compiled once.
    """
    store = (cache or cache_directory()) / "bytecode"
    store.mkdir(parents=True, exist_ok=True)
    version = _version_of(python)
    with zipfile.ZipFile(deployment_zip) as original:
        names = set(original.namelist())
        sources = {name: original.read(name) for name in sorted(names) if name.endswith(".py")}
    keys = {
        name: hashlib.sha256(f"{version}\0{name}\0".encode() + data).hexdigest()
        for name, data in sources.items()
    }
    with tempfile.TemporaryDirectory(prefix="guichet-bytecode-") as scratch:
        missing = [name for name in sources if not (store / f"{keys[name]}.pyc").exists()]
        jobs = []
        for index, name in enumerate(missing):
            source = Path(scratch, f"{index}.py")
            source.write_bytes(sources[name])
            # The path tracebacks show: where Lambda unpacks the code.
            jobs.append((str(source), f"{LAMBDA_TASK_ROOT}/{name}"))
        answer = subprocess.run(
            [python, "-c", _COMPILE], input=json.dumps(jobs), capture_output=True, text=True, check=False
        )
        if answer.returncode != 0:
            raise LambdaPythonError(f"could not compile {deployment_zip}:\n{answer.stderr}")
        report = json.loads(answer.stdout)
        if report["failed"]:
            raise LambdaPythonError(
                f"{deployment_zip}: modules that do not compile:\n" + "\n".join(report["failed"])
            )
        for index, name in enumerate(missing):
            Path(scratch, f"{index}.pyc").replace(store / f"{keys[name]}.pyc")
    added = 0
    with zipfile.ZipFile(deployment_zip, "a", compression=zipfile.ZIP_DEFLATED) as target:
        for name in sources:
            folder, _, module = name.rpartition("/")
            compiled = "/".join(filter(None, [folder, "__pycache__", f"{module[:-3]}.{report['tag']}.pyc"]))
            if compiled in names:
                continue
            info = zipfile.ZipInfo(compiled, date_time=_EPOCH)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o100644 << 16
            target.writestr(info, (store / f"{keys[name]}.pyc").read_bytes())
            added += 1
    return added
