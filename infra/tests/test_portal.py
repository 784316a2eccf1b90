"""The portal as deployed: its files built for the CDN, the viewer-request function run by node
(the same JavaScript CloudFront runs), and the stack's template (cfn-lint, privacy, headers)."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import boto3
import pytest
from cfnlint.api import ManualArgs, lint_file
from guichet_contracts.brand import PUBLIC_PATH, copy_brand, load_brand
from guichet_contracts.web import PORTAL_CONTENT_SECURITY_POLICY, PORTAL_PAGES, PORTAL_SECURITY_HEADERS
from moto import mock_aws

from infra.deploy import DeployError, invalidate_pages, upload_site
from infra.package import ROOT
from infra.portal import IMMUTABLE, REVALIDATE, build_site, portal_template, viewer_request_function

from .conftest import REGION

WEB = ROOT / "web"


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, list[Any]]:
    out = tmp_path_factory.mktemp("site")
    return out, build_site(WEB, out)


def test_assets_are_named_by_their_content_and_pages_name_them(site: tuple[Path, list[Any]]) -> None:
    out, files = site
    by_key = {file.key: file for file in files}
    assets = [file for file in files if not file.key.endswith(".html") and file.key != PUBLIC_PATH]
    sources = {
        path.relative_to(WEB).as_posix()
        for path in WEB.rglob("*")
        if path.is_file() and path.suffix != ".html"
    }
    assert {"portal.js", "portal.css", "core/api.js", "i18n/fr/common.json"} <= sources
    assert {
        "{}.{}".format(*re.fullmatch(r"(.+)\.[0-9a-f]{10}\.(\w+)", file.key).groups()) for file in assets
    } == sources | {"brand.css", "brand/logo.svg"}  # the brand's, written by the build
    for asset in assets:
        stem, digest, suffix = asset.key.rsplit(".", 2)
        assert re.fullmatch(r"[0-9a-f]{10}", digest), asset.key
        if stem.startswith("brand"):
            continue
        original = WEB / f"{stem}.{suffix}"
        # the same file, but for the names of the files a module imports, now hashed too
        assert _unhashed((out / asset.key).read_text()) == original.read_text(), asset.key
        assert asset.cache_control == IMMUTABLE
    assert (
        by_key[next(key for key in by_key if key.startswith("i18n/fr/common."))].content_type
        == "application/json"
    )
    index = (out / "index.html").read_text()
    named = re.findall(r'<(?:script|link|img)\b[^>]*\b(?:src|href)="/([^"]+)"', index)
    assert len(named) == 4 and all(name in by_key for name in named), (
        named
    )  # brand.css, portal.css, portal.js, the logo
    assert "/portal.js" not in index and "/portal.css" not in index
    assert "/_local/" not in index and "data-local" not in index  # the local mailbox is not deployed
    assert by_key["index.html"].cache_control == REVALIDATE
    assert by_key["index.html"].content_type == "text/html; charset=utf-8"
    assert json.loads((out / "site.json").read_text())[-1]["key"] == "index.html"  # pages uploaded last


def test_the_site_holds_the_brands_public_part_and_a_second_brand_changes_it(
    site: tuple[Path, list[Any]], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    out, files = site
    by_key = {file.key: file for file in files}
    assert by_key[PUBLIC_PATH].cache_control == REVALIDATE
    assert by_key[PUBLIC_PATH].content_type == "application/json"
    public = json.loads((out / PUBLIC_PATH).read_text())
    assert set(public) == {"name", "portal_title", "support", "legal", "colours", "texts"}
    assert public["support"]["phones"] == load_brand().public()["support"]["phones"]
    assert "terms_of_sale" not in public

    # a provider's own brand: its name and its wording of the portal's texts in the built site (not
    # that of the API's messages), no code changed
    texts = {"fr": {"home_pay": "Régler", "field.missing": "à renseigner"}}
    other = copy_brand(tmp_path / "brand", name="Fournisseur Test", texts=texts)
    monkeypatch.setenv("GUICHET_BRAND_DIR", str(other.folder))
    build_site(WEB, tmp_path / "site")
    built = json.loads((tmp_path / "site" / PUBLIC_PATH).read_text())
    assert built["name"] == "Fournisseur Test"
    assert built["texts"] == {"fr": {"home_pay": "Régler"}, "en": {}, "it": {}}


def test_the_site_carries_the_brand_it_is_built_with(tmp_path: Path) -> None:
    brand = copy_brand(
        tmp_path / "brand",
        name="Fibre & Co <Nord>",
        colours={**load_brand().colours.model_dump(), "primary": "#8a1c7c"},
    )
    (brand.folder / brand.logo.svg).write_text('<svg xmlns="http://www.w3.org/2000/svg" aria-label="Fibre"/>')
    out = tmp_path / "site"
    keys = {file.key for file in build_site(WEB, out, brand)}

    index = (out / "index.html").read_text()
    assert "{{" not in index
    assert '<meta name="guichet-brand" content="Fibre &amp; Co &lt;Nord&gt;">' in index
    assert 'alt="Fibre &amp; Co &lt;Nord&gt;"' in index and ">Fibre &amp; Co &lt;Nord&gt;</span>" in index
    css = next(key for key in keys if re.fullmatch(r"brand\.[0-9a-f]{10}\.css", key))
    logo = next(key for key in keys if re.fullmatch(r"brand/logo\.[0-9a-f]{10}\.svg", key))
    assert "--colour-primary: #8a1c7c;" in (out / css).read_text()
    assert (out / logo).read_text().endswith('aria-label="Fibre"/>')
    # the style sheet of the brand comes first: portal.css uses its custom properties
    assert index.index(f'href="/{css}"') < index.index('href="/portal.') and f'src="/{logo}"' in index
    # and the default brand's build differs only where the brand is
    default_keys = {file.key for file in build_site(WEB, tmp_path / "default")}
    assert {key for key in keys ^ default_keys if not key.startswith("brand")} == set()


def test_no_colour_is_written_in_the_portal_outside_the_brand() -> None:
    colours = {
        path.relative_to(WEB).as_posix(): re.findall(r"#[0-9a-fA-F]{3,8}\b", path.read_text())
        for path in WEB.rglob("*")
        if path.suffix in {".css", ".js", ".html"}
    }
    assert {name: found for name, found in colours.items() if found} == {}


def test_a_changed_asset_gets_a_new_name_and_a_missing_one_stops_the_build(tmp_path: Path) -> None:
    web = tmp_path / "web"
    shutil.copytree(WEB, web)
    first = {file.key for file in build_site(web, tmp_path / "one")}
    (web / "portal.css").write_text((web / "portal.css").read_text() + "\n/* changed */\n")
    second = {file.key for file in build_site(web, tmp_path / "two")}
    assert {key for key in first ^ second} and all(".css" in key for key in first ^ second)

    (web / "portal.css").unlink()
    with pytest.raises(ValueError, match=r"portal\.css"):
        build_site(web, tmp_path / "three")


def _unhashed(text: str) -> str:
    return re.sub(r"\.[0-9a-f]{10}(\.(?:js|json)[\"'])", r"\1", text)


# what a built module names: its imports (static, dynamic, re-exports) and new URL("…", import.meta.url)
_NAMED = re.compile(r"""(?:[\s}]from\s*|\bimport\s*\(?\s*|\bnew\s+URL\s*\(\s*)["']([^"'\n]+)["']""")


def test_every_file_a_built_module_names_is_a_built_file(site: tuple[Path, list[Any]]) -> None:
    out, files = site
    keys = {file.key for file in files}
    named = 0
    for module in (file.key for file in files if file.key.endswith(".js")):
        for name in _NAMED.findall((out / module).read_text()):
            target = (Path(module).parent / name).as_posix() if name.startswith(".") else name.lstrip("/")
            resolved = Path(target).as_posix()
            parts: list[str] = []
            for part in resolved.split("/"):
                if part == "..":
                    parts.pop()
                elif part not in ("", "."):
                    parts.append(part)
            assert "/".join(parts) in keys, f"{module} names {name}"
            assert re.search(r"\.[0-9a-f]{10}\.(js|json)$", name), f"{module} names {name}, not hashed"
            named += 1
    assert named >= 40  # the entry's pages, the pages' core modules, the three catalogs


def _digests(files: list[Any]) -> dict[str, str]:
    return {re.sub(r"\.[0-9a-f]{10}\.", ".", file.key): file.key for file in files}


def test_a_changed_module_renames_every_module_that_imports_it(tmp_path: Path) -> None:
    web = tmp_path / "web"
    shutil.copytree(WEB, web)
    before = _digests(build_site(web, tmp_path / "one"))
    (web / "core" / "dom.js").write_text((web / "core" / "dom.js").read_text() + "\n// changed\n")
    after = _digests(build_site(web, tmp_path / "two"))
    changed = {name for name in before if before[name] != after[name]}
    # dom.js, what imports it (forms.js, router.js, the pages) and the entry that imports them
    assert {"core/dom.js", "core/forms.js", "core/router.js", "pages/auth.js", "portal.js"} <= changed
    # what does not import it, even indirectly, keeps its name (cached by the browsers)
    assert not changed & {
        "core/i18n.js",
        "core/format.js",
        "core/api.js",
        "i18n/fr/common.json",
        "portal.css",
    }
    assert after["portal.js"] in (tmp_path / "two" / "index.html").read_text()


@pytest.mark.parametrize(
    ("module", "first_line", "problem"),
    [
        ("portal.js", 'import "./pages/no-such-page.js";', r"portal\.js names pages/no-such-page\.js"),
        ("core/i18n.js", 'import { t } from "./dom.js";', "cycle"),  # dom.js imports i18n.js
        ("core/i18n.js", 'import "https://cdn.example.com/x.js";', "not a file of the portal"),
    ],
)
def test_an_import_of_no_file_or_a_cycle_of_imports_stops_the_build(
    tmp_path: Path, module: str, first_line: str, problem: str
) -> None:
    web = tmp_path / "web"
    shutil.copytree(WEB, web)
    (web / module).write_text(f"{first_line}\n{(web / module).read_text()}")
    with pytest.raises(ValueError, match=problem):
        build_site(web, tmp_path / "site")


def _run_function(uris: list[str]) -> list[str]:
    node = shutil.which("node")
    assert node, "node is needed to run the CloudFront function's code"
    script = (
        viewer_request_function()
        + f"const uris = {json.dumps(uris)};\n"
        + "console.log(JSON.stringify(uris.map((uri) => handler({request: {uri}}).uri)));\n"
    )
    answer = subprocess.run([node, "-e", script], capture_output=True, text=True, check=True, timeout=60)
    return list(json.loads(answer.stdout))


def test_the_viewer_function_answers_every_page_with_index_html_and_leaves_files_alone() -> None:
    pages = ["/" + page for page in sorted(PORTAL_PAGES)] + ["/my-invoices/", "/email-change/refuse"]
    others = ["/portal.3f2a9c1e7b.js", "/index.html", "/nowhere", "/my-invoices/extra", "/.env"]
    answered = _run_function(pages + others)
    assert answered[: len(pages)] == ["/index.html"] * len(pages)
    assert answered[len(pages) :] == others


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, Any]]:
    body = portal_template("prod")
    path = tmp_path_factory.mktemp("portal") / "template.json"
    path.write_text(json.dumps(body, indent=2))
    return path, body


def test_cfn_lint_finds_no_error_in_the_portal_stack(template: tuple[Path, dict[str, Any]]) -> None:
    path, _ = template
    problems = [f"{m.rule.id} {m.message}" for m in lint_file(path, config=ManualArgs(regions=[REGION]))]
    assert [problem for problem in problems if problem.startswith("E")] == []


def test_only_the_distribution_reads_the_bucket_and_only_over_tls(
    template: tuple[Path, dict[str, Any]],
) -> None:
    _, body = template
    resources = body["Resources"]
    blocked = resources["PortalBucket"]["Properties"]["PublicAccessBlockConfiguration"]
    assert all(blocked.values()) and len(blocked) == 4
    assert "WebsiteConfiguration" not in resources["PortalBucket"]["Properties"]
    allow, deny = resources["PortalBucketPolicy"]["Properties"]["PolicyDocument"]["Statement"]
    assert allow["Principal"] == {"Service": "cloudfront.amazonaws.com"} and allow["Action"] == "s3:GetObject"
    assert "${PortalDistribution}" in allow["Condition"]["StringEquals"]["AWS:SourceArn"]["Fn::Sub"]
    assert deny["Effect"] == "Deny" and deny["Condition"] == {"Bool": {"aws:SecureTransport": "false"}}
    config = resources["PortalDistribution"]["Properties"]["DistributionConfig"]
    [origin] = config["Origins"]
    assert origin["OriginAccessControlId"] == {"Fn::GetAtt": ["PortalOriginAccessControl", "Id"]}
    assert resources["PortalOriginAccessControl"]["Properties"]["OriginAccessControlConfig"][
        "SigningBehavior"
    ] == ("always")
    behavior = config["DefaultCacheBehavior"]
    assert behavior["ViewerProtocolPolicy"] == "redirect-to-https" and behavior["Compress"] is True
    assert behavior["FunctionAssociations"][0]["EventType"] == "viewer-request"


def test_every_answer_carries_the_portals_security_headers(template: tuple[Path, dict[str, Any]]) -> None:
    _, body = template
    policy = body["Resources"]["PortalHeaders"]["Properties"]["ResponseHeadersPolicyConfig"]
    headers = policy["SecurityHeadersConfig"]
    with_api, alone = headers["ContentSecurityPolicy"]["ContentSecurityPolicy"]["Fn::If"][1:]
    assert alone == PORTAL_CONTENT_SECURITY_POLICY
    assert with_api["Fn::Sub"] == PORTAL_CONTENT_SECURITY_POLICY.replace(
        "connect-src 'self'", "connect-src 'self' ${ApiOrigin}"
    )
    assert "'unsafe-inline'" not in alone and "'unsafe-eval'" not in alone
    assert headers["FrameOptions"]["FrameOption"] == PORTAL_SECURITY_HEADERS["X-Frame-Options"]
    assert headers["ReferrerPolicy"]["ReferrerPolicy"] == PORTAL_SECURITY_HEADERS["Referrer-Policy"]
    assert headers["StrictTransportSecurity"]["AccessControlMaxAgeSec"] == 31536000
    assert all(entry["Override"] for entry in headers.values())
    custom = {item["Header"]: item["Value"] for item in policy["CustomHeadersConfig"]["Items"]}
    assert custom == {"Cross-Origin-Opener-Policy": PORTAL_SECURITY_HEADERS["Cross-Origin-Opener-Policy"]}


def test_deploying_uploads_the_files_tells_the_pages_where_the_api_is_and_invalidates_them(
    aws_credentials: None, site: tuple[Path, list[Any]]
) -> None:
    out, files = site
    with mock_aws():
        session = boto3.Session(region_name=REGION)
        s3 = session.client("s3")
        s3.create_bucket(Bucket="portal", CreateBucketConfiguration={"LocationConstraint": REGION})
        api = "https://api.espace-client.example.com"

        assert upload_site(session, "portal", out, api) == len(files)
        for file in files:
            stored = s3.get_object(Bucket="portal", Key=file.key)
            assert (stored["ContentType"], stored["CacheControl"]) == (file.content_type, file.cache_control)
        index = s3.get_object(Bucket="portal", Key="index.html")["Body"].read().decode()
        assert f'<meta name="guichet-api" content="{api}">' in index
        # again: the assets are there under their hashes; only the pages go up again
        assert upload_site(session, "portal", out, api) == 1

        distribution = session.client("cloudfront").create_distribution(
            DistributionConfig={
                "CallerReference": "portal",
                "Comment": "",
                "Enabled": True,
                "Origins": {
                    "Quantity": 1,
                    "Items": [{"Id": "portal", "DomainName": "portal.s3.amazonaws.com"}],
                },
                "DefaultCacheBehavior": {
                    "TargetOriginId": "portal",
                    "ViewerProtocolPolicy": "redirect-to-https",
                },
            }
        )["Distribution"]["Id"]
        invalidation = invalidate_pages(session, distribution, out)
        asked = session.client("cloudfront").get_invalidation(DistributionId=distribution, Id=invalidation)
        assert asked["Invalidation"]["InvalidationBatch"]["Paths"]["Items"] == ["/", "/index.html"]


def test_a_page_without_the_api_placeholder_is_not_deployed(aws_credentials: None, tmp_path: Path) -> None:
    web = tmp_path / "web"
    shutil.copytree(WEB, web)
    (web / "index.html").write_text(
        (web / "index.html").read_text().replace('name="guichet-api"', 'name="x"')
    )
    build_site(web, tmp_path / "site")
    with mock_aws():
        session = boto3.Session(region_name=REGION)
        session.client("s3").create_bucket(
            Bucket="portal", CreateBucketConfiguration={"LocationConstraint": REGION}
        )
        with pytest.raises(DeployError, match="guichet-api"):
            upload_site(session, "portal", tmp_path / "site", "https://api.example.com")
