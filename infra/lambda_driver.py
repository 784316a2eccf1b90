"""Runs an unpacked deployment package as Lambda runs it, and says what happened.

    <lambda python> -I -B infra/lambda_driver.py SPEC.json RESULTS.json

Run by `infra.artifact` with the interpreter of `infra.runtime.lambda_runtime_python` (Python of
the runtime's version holding boto3 and nothing else) and `-I` (no PYTHONPATH, no user site, not
even this file's directory on the path): only the standard library, boto3 and the unpacked
package can be imported, so this file imports nothing else of the project.

SPEC: {"task_root": the unpacked zip, "api_handler": "app.app", "functions": [{"name", "handler",
"event"}], "tokens": {"customer", "customer_id", "operator"}}. In the task root (Lambda's
/var/task, the working directory and first on the path) it
1. imports `app` and every module of `chalicelib`;
2. imports every module that the service's code (app, chalicelib) names in an import statement,
   at any depth (a function's own import too), and those that the functions and classes it
   uses of the vendored guichet_contracts import when they run, except the imports only type
   checkers read (`if TYPE_CHECKING:`) or guarded by `except ImportError`: a dependency missing
   from requirements.txt fails here even when only one route would import it;
3. calls the API handler once for every route of the app's own route table, with an API
   Gateway (REST, proxy) event carrying a customer's access token (an operator's on
   /operator/ routes), and each other function of the package with its event.
RESULTS: {"imports": [{"module", "error"}], "routes": [{"method", "path", "status", "body",
"error"}], "functions": [{"name", "outcome": "ok"|"refused"|"error", "error"}], "event_sources":
[{"name", "handler"}], "distributions": [the names of the package's distributions imported]}.
"""

from __future__ import annotations

import ast
import importlib
import json
import os
import sys
import traceback
import uuid
from pathlib import Path
from typing import Any

OWN_CODE = ("app.py", "chalicelib", "guichet_contracts")
# whose import statements are all tried: the service's own code. The shared package is vendored
# whole, and some of its functions need what only the services that call them install: of it,
# the modules the service reaches are imported, and the imports that the functions it uses make
# when they run (and those of what they use) are tried.
SCANNED = ("app", "chalicelib")
SHARED = "guichet_contracts"
REGION = os.environ.get("AWS_REGION", "eu-west-3")
ACCOUNT = "123456789012"
_BODY_METHODS = {"POST", "PUT", "PATCH"}


class Context:
    """What Lambda hands a handler as its context."""

    def __init__(self, name: str) -> None:
        self.function_name = name
        self.function_version = "$LATEST"
        self.invoked_function_arn = f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:{name}"
        self.memory_limit_in_mb = 512
        self.aws_request_id = str(uuid.uuid4())
        self.log_group_name = f"/aws/lambda/{name}"
        self.log_stream_name = "2000/01/01/[$LATEST]" + uuid.uuid4().hex

    def get_remaining_time_in_millis(self) -> int:
        return 60_000


def service_modules(root: Path) -> list[str]:
    """The dotted names of the service's own modules: `app` and every module of `chalicelib`."""
    names = ["app"]
    for file in sorted((root / "chalicelib").rglob("*.py")):
        parts = list(file.relative_to(root).with_suffix("").parts)
        if "__pycache__" not in parts:
            names.append(".".join(parts[:-1] if parts[-1] == "__init__" else parts))
    return names


def _loaded_own_code(root: Path) -> dict[str, Any]:
    """The modules of the package's own code imported so far (the shared guichet_contracts is
    vendored whole: only what the service reaches of it counts)."""
    tops = {name.removesuffix(".py") for name in OWN_CODE}
    return {
        name: module
        for name, module in list(sys.modules.items())
        if name.split(".")[0] in tops
        and str(getattr(module, "__file__", "") or "").startswith(str(root) + os.sep)
    }


def _guarded(handlers: list[ast.ExceptHandler]) -> bool:
    for handler in handlers:
        caught = handler.type
        names = caught.elts if isinstance(caught, ast.Tuple) else [caught]
        if any(
            isinstance(name, ast.Name) and name.id in ("ImportError", "ModuleNotFoundError") for name in names
        ):
            return True
    return False


def _type_checking(test: ast.expr) -> bool:
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def named_imports(tree: ast.AST, package: str) -> set[tuple[str, str | None]]:
    """(module, name imported from it or None) of every import statement that must succeed."""
    found: set[tuple[str, str | None]] = set()

    def visit(node: ast.AST) -> None:
        if isinstance(node, ast.If) and _type_checking(node.test):
            for child in node.orelse:
                visit(child)
            return
        if isinstance(node, ast.Try) and _guarded(node.handlers):
            for child in [*node.handlers, *node.orelse, *node.finalbody]:
                visit(child)
            return
        if isinstance(node, ast.Import):
            found.update((alias.name, None) for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module != "__future__":
            module = _absolute(node, package)
            found.update((module, alias.name) for alias in node.names if alias.name != "*")
        for child in ast.iter_child_nodes(node):
            visit(child)

    visit(tree)
    return found


def _absolute(node: ast.ImportFrom, package: str) -> str:
    if not node.level:
        return node.module or ""
    base = package.split(".")[: len(package.split(".")) - node.level + 1]
    return ".".join([*base, *([node.module] if node.module else [])])


def _source(root: Path, module: str) -> Path | None:
    base = root.joinpath(*module.split("."))
    return next((path for path in (base.with_suffix(".py"), base / "__init__.py") if path.is_file()), None)


def shared_references(
    tree: ast.AST, package: str, root: Path, within: ast.AST | None = None
) -> set[tuple[str, str]]:
    """(module, name) of what the code of `tree` uses of the shared package: the names it imports
    from it (those `within` uses when given) and the attributes it reads of its modules."""
    modules: dict[str, str] = {}  # local name -> shared module
    names: dict[str, tuple[str, str]] = {}  # local name -> (shared module, name)
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom):
            module = _absolute(node, package)
            if module.split(".")[0] != SHARED:
                continue
            for alias in node.names:
                if _source(root, f"{module}.{alias.name}") is not None:
                    modules[alias.asname or alias.name] = f"{module}.{alias.name}"
                else:
                    names[alias.asname or alias.name] = (module, alias.name)
        elif isinstance(node, ast.Import):
            for alias in node.names:
                if alias.asname and alias.name.split(".")[0] == SHARED:
                    modules[alias.asname] = alias.name
    found = set(names.values()) if within is None else set()
    for node in ast.walk(within or tree):
        if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) and node.value.id in modules:
            found.add((modules[node.value.id], node.attr))
        elif isinstance(node, ast.Name) and node.id in names:
            found.add(names[node.id])
    return found


def shared_imports(used: set[tuple[str, str]], root: Path) -> set[tuple[str, str | None]]:
    """The imports the functions and classes `used` of the shared package make when they run
    (an import inside a function), and those of what they use in turn."""
    wanted: set[tuple[str, str | None]] = set()
    seen: set[tuple[str, str]] = set()
    queue = sorted(used)
    trees: dict[Path, ast.Module] = {}
    while queue:
        module, name = queue.pop()
        source = _source(root, module)
        if (module, name) in seen or source is None:
            continue
        seen.add((module, name))
        tree = trees.setdefault(source, ast.parse(source.read_bytes()))
        package = module if source.name == "__init__.py" else module.rpartition(".")[0]
        definitions = {
            node.name: node
            for node in tree.body
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef))
        }
        if name not in definitions:
            continue
        body = definitions[name]
        lazy = named_imports(body, package)
        wanted |= lazy
        queue += [(m, member) for m, member in lazy if member and m.split(".")[0] == SHARED]
        queue += [
            (module, node.id)
            for node in ast.walk(body)
            if isinstance(node, ast.Name) and node.id in definitions
        ]
        queue += sorted(shared_references(tree, package, root, within=body))
    return wanted


def import_named(module: str, name: str | None) -> None:
    imported = importlib.import_module(module)
    if name is not None and not hasattr(imported, name):
        importlib.import_module(f"{module}.{name}")


def check_imports(root: Path) -> list[dict[str, Any]]:
    """Imports the service's modules, then, until nothing new is reached, every module that the
    code reached so far names in an import statement."""
    results = []
    for module in service_modules(root):
        results.append(
            {"module": module, "error": _attempt(lambda module=module: importlib.import_module(module))}
        )
    attempted: set[tuple[str, str | None]] = set()

    def attempt(pairs: set[tuple[str, str | None]]) -> None:
        for imported, member in sorted(pairs - attempted, key=lambda pair: (pair[0], pair[1] or "")):
            attempted.add((imported, member))
            label = f"{imported}:{member}" if member else imported
            results.append(
                {"module": label, "error": _attempt(lambda m=imported, n=member: import_named(m, n))}
            )

    scanned: set[str] = set()
    used: set[tuple[str, str]] = set()
    while pending := {
        name: module
        for name, module in _loaded_own_code(root).items()
        if name not in scanned and name.split(".")[0] in SCANNED
    }:
        for name, module in sorted(pending.items()):
            scanned.add(name)
            tree = ast.parse(Path(module.__file__).read_bytes())
            attempt(named_imports(tree, module.__package__ or ""))
            used |= shared_references(tree, module.__package__ or "", root)
    attempt(shared_imports(used, root))
    return results


def _attempt(action: Any) -> str | None:
    try:
        action()
    except BaseException:
        return traceback.format_exc(limit=-8)
    return None


def api_event(method: str, route: str, tokens: dict[str, str]) -> dict[str, Any]:
    """API Gateway's proxy event (REST API) for one request on `route`, parameters filled in."""
    parameters = {}
    path = route
    for part in route.split("/"):
        if part.startswith("{") and part.endswith("}"):
            name = part[1:-1]
            value = tokens["customer_id"] if name == "customer_id" else f"unknown-{name.replace('_', '-')}"
            parameters[name] = value
            path = path.replace(part, value)
    operator = route.startswith("/operator/")
    headers = {
        "Accept": "application/json",
        "Authorization": "Bearer " + tokens["operator" if operator else "customer"],
        "Host": "api.example.com",
        "User-Agent": "guichet-artifact-check",
        "X-Forwarded-For": "192.0.2.10",
        "X-Forwarded-Proto": "https",
    }
    body = None
    if method in _BODY_METHODS:
        headers["Content-Type"] = "application/json"
        body = "{}"
    return {
        "resource": route,
        "path": path,
        "httpMethod": method,
        "headers": headers,
        "multiValueHeaders": {name: [value] for name, value in headers.items()},
        "queryStringParameters": None,
        "multiValueQueryStringParameters": None,
        "pathParameters": parameters or None,
        "stageVariables": None,
        "requestContext": {
            "resourcePath": route,
            "httpMethod": method,
            "path": "/api" + path,
            "stage": "api",
            "accountId": ACCOUNT,
            "apiId": "artifact",
            "requestId": str(uuid.uuid4()),
            "identity": {"sourceIp": "192.0.2.10", "userAgent": "guichet-artifact-check"},
        },
        "body": body,
        "isBase64Encoded": False,
    }


def handler_of(handler: str) -> Any:
    module, _, attribute = handler.rpartition(".")
    return getattr(importlib.import_module(module), attribute)


def drive_routes(api_handler: str, tokens: dict[str, str]) -> list[dict[str, Any]]:
    handler = handler_of(api_handler)
    results = []
    for route, methods in sorted(handler.routes.items()):
        for method in sorted(methods):
            result: dict[str, Any] = {
                "method": method,
                "path": route,
                "status": None,
                "body": "",
                "error": None,
            }
            try:
                answer = handler(api_event(method, route, tokens), Context("api_handler"))
                result["status"] = answer.get("statusCode")
                result["body"] = str(answer.get("body"))[:400]
            except BaseException:
                result["error"] = traceback.format_exc(limit=-8)
            results.append(result)
    return results


def drive_functions(functions: list[dict[str, Any]]) -> list[dict[str, Any]]:
    invalid: Any = importlib.import_module("guichet_contracts.events").InvalidEvent
    results = []
    for function in functions:
        result: dict[str, Any] = {"name": function["name"], "outcome": "ok", "error": None}
        try:
            handler_of(function["handler"])(function["event"], Context(function["name"]))
        except invalid as refused:
            result.update(outcome="refused", error=str(refused)[:400])
        except BaseException:
            result.update(outcome="error", error=traceback.format_exc(limit=-8))
        results.append(result)
    return results


def imported_distributions(root: Path) -> list[str]:
    """The distributions of the package whose modules were imported by now."""
    import importlib.metadata

    owners = importlib.metadata.packages_distributions()
    tops = {
        name.split(".")[0]
        for name, module in list(sys.modules.items())
        if str(getattr(module, "__file__", "") or "").startswith(str(root) + os.sep)
    }
    return sorted({owner for top in tops for owner in owners.get(top, [])})


def main() -> int:
    spec = json.loads(Path(sys.argv[1]).read_text())
    root = Path(spec["task_root"]).resolve()
    os.chdir(root)
    sys.path.insert(0, str(root))
    results: dict[str, Any] = {
        "imports": check_imports(root),
        "routes": [],
        "functions": [],
        "event_sources": [],
    }
    if not any(entry["module"] == "app" and entry["error"] for entry in results["imports"]):
        app = handler_of(spec["api_handler"])
        results["event_sources"] = [
            {"name": source.name, "handler": source.handler_string} for source in app.event_sources
        ]
        results["routes"] = drive_routes(spec["api_handler"], spec["tokens"])
        results["functions"] = drive_functions(spec["functions"])
    results["distributions"] = imported_distributions(root)
    Path(sys.argv[2]).write_text(json.dumps(results, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
