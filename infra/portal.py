"""The web portal's deployment: its files, built for a CDN, and its stack.

`build_site(web, out)` copies `web/` into `out/`: every asset (scripts, styles, catalogs,
images) under a name holding a hash of its content (`portal.3f2a9c1e7b.js`), cached a year and
never changed, and the pages (`index.html`) rewritten to name them, never cached without asking
again (the local mailbox's link, `data-local`, left out). The portal's scripts are ES modules:
in each, the specifiers of its imports (`from "./core/api.js"`) and the files it names by
`new URL("../i18n/fr.json", import.meta.url)` are rewritten to the hashed names, the files it
names hashed first, so that a module's name changes with any module it imports (a cycle of
imports stops the build, as does a name that is no file of the portal). It
writes the brand's public part as `brand.json` beside the pages (what the local gateway serves at
`/brand.json`), and returns what `infra.deploy` uploads: each file's key, type and Cache-Control.

`portal_template(stage)` is the stack `guichet-portal-<stage>`:
- a private bucket (public access blocked, encrypted, TLS only) that only the distribution reads,
  through an origin access control (signed requests; no public object, no website endpoint);
- a CloudFront distribution over it, HTTPS only (HTTP redirected, TLS 1.2 at least on a custom
  domain), compressed, with a viewer-request function that answers the portal's pages
  (`guichet_contracts.web.PORTAL_PAGES`, the links in emails) with index.html, and any other
  missing path with the portal's own page too (status 404), so the portal says it;
- the security headers on every answer (a response headers policy): the portal's
  Content-Security-Policy (`PORTAL_CONTENT_SECURITY_POLICY`, with the API's origin added to
  `connect-src` when the API lives on a domain of its own), HSTS, nosniff, no framing, no
  referrer, Cross-Origin-Opener-Policy;
- optionally the portal's own domain (a certificate in us-east-1, as CloudFront requires, and a
  Route 53 alias record).

It is generated, never edited by hand.
"""

from __future__ import annotations

import hashlib
import json
import mimetypes
import posixpath
import re
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from guichet_contracts.brand import PUBLIC_PATH, Brand, load_brand
from guichet_contracts.web import PORTAL_CONTENT_SECURITY_POLICY, PORTAL_PAGES, PORTAL_SECURITY_HEADERS

from .buckets import private_bucket_properties, tls_only

IMMUTABLE = "public, max-age=31536000, immutable"
REVALIDATE = "no-cache"
_HOSTNAME = r"^$|^([a-z0-9]([a-z0-9-]*[a-z0-9])?\.)+[a-z]{2,}$"
_ORIGIN = r"^$|^https://([a-z0-9]([a-z0-9-]*[a-z0-9])?\.)+[a-z]{2,}(:[0-9]{1,5})?$"
# AWS's managed cache policy "CachingOptimized": the objects' own Cache-Control, gzip and brotli.
CACHING_OPTIMIZED = "658327ea-f89d-4fab-a63d-7e88639e58f6"
CLOUDFRONT_HOSTED_ZONE = "Z2FDTNDATAQYW2"  # every CloudFront distribution's alias zone
_TYPES = {
    ".html": "text/html; charset=utf-8",
    ".js": "text/javascript; charset=utf-8",
    ".css": "text/css; charset=utf-8",
    ".json": "application/json",
    ".svg": "image/svg+xml",
}
# a page's scripts, style sheets and images (its links to other pages are left as they are)
_REFERENCE = re.compile(r'(?P<attribute><(?:script|link|img)\b[^>]*?\b(?:src|href)=")/(?P<name>[^"?#]+)"')
# a module's references to other files of the portal: its static imports and re-exports, its
# dynamic imports, and the files it names relative to itself (new URL("…", import.meta.url))
_MODULE_REFERENCE = re.compile(
    r"""(?P<head>\b(?:import|export)\s*[\w*{}\s,$]*?\bfrom\s*|\bimport\s*(?:\(\s*)?|\bnew\s+URL\s*\(\s*)"""
    r"""(?P<quote>["'])(?P<name>[^"'\n]+)(?P=quote)"""
)
# what only the local run has (the local mailbox): left out of the deployed pages
_LOCAL_ONLY = re.compile(r"<a\b[^>]*\bdata-local\b[^>]*>.*?</a>\s*", re.DOTALL)


@dataclass(frozen=True)
class SiteFile:
    key: str  # the object's key in the bucket, its path under the portal's origin
    content_type: str
    cache_control: str


def _content_type(path: Path) -> str:
    return _TYPES.get(path.suffix) or mimetypes.guess_type(path.name)[0] or "application/octet-stream"


def build_site(web: Path, out: Path, brand: Brand | None = None) -> list[SiteFile]:
    """`web/` made ready for the CDN in `out/` (emptied first); what to upload, pages last. The
    brand (the configured one by default) gives the pages its name, and two assets: `brand.css`
    (its colours as the custom properties portal.css uses) and `brand/logo.svg`."""
    brand = brand or load_brand()
    if out.exists():
        shutil.rmtree(out)
    out.mkdir(parents=True)
    files = sorted(path for path in web.rglob("*") if path.is_file() and not path.name.startswith("."))
    assets = [path for path in files if path.suffix != ".html"]
    pages = [path for path in files if path.suffix == ".html"]
    renamed: dict[str, str] = {}
    built: list[SiteFile] = []
    names = {asset.relative_to(web).as_posix(): asset for asset in assets}
    generated = {
        "brand.css": brand.css_variables().encode(),
        "brand/logo.svg": brand.logo_path("svg").read_bytes(),
    }
    names |= {name: web / name for name in generated}
    for name in _leaves_first(names, web):
        asset = names[name]
        content = generated[name] if name in generated else asset.read_bytes()
        if asset.suffix == ".js":
            content = _MODULE_REFERENCE.sub(
                lambda match, module=name: _module_hashed(match, renamed, module), content.decode()
            ).encode()
        digest = hashlib.sha256(content).hexdigest()[:10]
        hashed = f"{name.removesuffix(asset.suffix)}.{digest}{asset.suffix}"
        renamed[name] = hashed
        (out / hashed).parent.mkdir(parents=True, exist_ok=True)
        (out / hashed).write_bytes(content)
        built.append(SiteFile(hashed, _content_type(asset), IMMUTABLE))
    # the brand's public part, as the local gateway serves it (web/core/brand.js); not hashed:
    # the portal asks for it by name, and a provider's change shows at the next visit
    (out / PUBLIC_PATH).write_bytes(brand.public_json())
    built.append(SiteFile(PUBLIC_PATH, _TYPES[".json"], REVALIDATE))
    for page in pages:
        name = page.relative_to(web).as_posix()
        text = brand.portal_page(_LOCAL_ONLY.sub("", page.read_text()))
        text = _REFERENCE.sub(lambda match, page_name=name: _hashed(match, renamed, page_name), text)
        (out / name).parent.mkdir(parents=True, exist_ok=True)
        (out / name).write_text(text)
        built.append(SiteFile(name, _content_type(page), REVALIDATE))
    (out / "site.json").write_text(json.dumps([file.__dict__ for file in built], indent=2) + "\n")
    return built


def _module_target(module: str, name: str) -> str | None:
    """The file of the portal a module's reference names (a path under web/), None for another site."""
    if name.startswith(("./", "../")):
        return posixpath.normpath(posixpath.join(posixpath.dirname(module), name))
    if name.startswith("/") and not name.startswith("//"):
        return name.lstrip("/")
    return None


def _module_references(module: str, text: str) -> list[str]:
    """The files of the portal a module names; a module imported from elsewhere stops the build."""
    targets = []
    for match in _MODULE_REFERENCE.finditer(text):
        target = _module_target(module, match.group("name"))
        if target is None and not match.group("head").lstrip().startswith("new"):
            raise ValueError(f"{module} imports {match.group('name')}, which is not a file of the portal")
        if target is not None:
            targets.append(target)
    return targets


def _leaves_first(names: dict[str, Path], web: Path) -> list[str]:
    """The assets in an order where every module comes after the files it names."""
    ordered: list[str] = []
    state: dict[str, str] = {}

    def visit(name: str, path: tuple[str, ...]) -> None:
        if state.get(name) == "done":
            return
        if state.get(name) == "visiting":
            raise ValueError(
                f"the portal's modules import each other in a cycle: {' -> '.join((*path, name))}"
            )
        state[name] = "visiting"
        if name.endswith(".js"):
            for target in _module_references(name, names[name].read_text()):
                if target not in names:
                    raise ValueError(f"{name} names {target}, which is not a file of the portal")
                visit(target, (*path, name))
        state[name] = "done"
        ordered.append(name)

    for name in sorted(names):
        visit(name, ())
    return ordered


def _module_hashed(match: re.Match[str], renamed: dict[str, str], module: str) -> str:
    """A module's reference to another file, now named by its content (same directory, new name)."""
    name = match.group("name")
    target = _module_target(module, name)
    if target is None:
        return match.group(0)
    base, quote = name[: name.rfind("/") + 1], match.group("quote")
    return f"{match.group('head')}{quote}{base}{posixpath.basename(renamed[target])}{quote}"


def _hashed(match: re.Match[str], renamed: dict[str, str], page: str) -> str:
    """A page's reference to an asset, now named by its content."""
    target = match.group("name")
    if target not in renamed:
        raise ValueError(f"{page} names /{target}, which is not a file of the portal")
    return f'{match.group("attribute")}/{renamed[target]}"'


def viewer_request_function() -> str:
    """CloudFront Functions code (cloudfront-js-2.0): a portal page's path → /index.html."""
    pages = json.dumps(sorted(page for page in PORTAL_PAGES if page))
    return (
        f"var PAGES = {pages};\n"
        "function handler(event) {\n"
        "  var request = event.request;\n"
        "  var path = request.uri.replace(/^\\/+|\\/+$/g, '');\n"
        "  if (path === '' || PAGES.indexOf(path) !== -1) {\n"
        "    request.uri = '/index.html';\n"
        "  }\n"
        "  return request;\n"
        "}\n"
    )


def content_security_policy() -> dict[str, Any]:
    """The portal's policy, with the API's origin (a parameter) allowed in connect-src."""
    assert "connect-src 'self'" in PORTAL_CONTENT_SECURITY_POLICY
    with_api = PORTAL_CONTENT_SECURITY_POLICY.replace("connect-src 'self'", "connect-src 'self' ${ApiOrigin}")
    return {"Fn::If": ["HasApiOrigin", {"Fn::Sub": with_api}, PORTAL_CONTENT_SECURITY_POLICY]}


def _security_headers() -> dict[str, Any]:
    hsts = PORTAL_SECURITY_HEADERS["Strict-Transport-Security"]
    max_age = int(re.search(r"max-age=(\d+)", hsts).group(1))  # type: ignore[union-attr]
    return {
        "ContentSecurityPolicy": {"ContentSecurityPolicy": content_security_policy(), "Override": True},
        "StrictTransportSecurity": {
            "AccessControlMaxAgeSec": max_age,
            "IncludeSubdomains": "includeSubDomains" in hsts,
            "Override": True,
        },
        "ContentTypeOptions": {"Override": True},
        "FrameOptions": {"FrameOption": PORTAL_SECURITY_HEADERS["X-Frame-Options"], "Override": True},
        "ReferrerPolicy": {"ReferrerPolicy": PORTAL_SECURITY_HEADERS["Referrer-Policy"], "Override": True},
    }


def portal_template(stage: str) -> dict[str, Any]:
    no_value = {"Ref": "AWS::NoValue"}
    resources: dict[str, Any] = {
        "PortalBucket": {
            "Type": "AWS::S3::Bucket",
            "Properties": private_bucket_properties(),
        },
        "PortalBucketPolicy": {
            "Type": "AWS::S3::BucketPolicy",
            "Properties": {
                "Bucket": {"Ref": "PortalBucket"},
                "PolicyDocument": {
                    "Version": "2012-10-17",
                    "Statement": [
                        {
                            "Sid": "DistributionReads",
                            "Effect": "Allow",
                            "Principal": {"Service": "cloudfront.amazonaws.com"},
                            "Action": "s3:GetObject",
                            "Resource": {"Fn::Sub": "${PortalBucket.Arn}/*"},
                            "Condition": {
                                "StringEquals": {
                                    "AWS:SourceArn": {
                                        "Fn::Sub": "arn:${AWS::Partition}:cloudfront::${AWS::AccountId}:"
                                        "distribution/${PortalDistribution}"
                                    }
                                }
                            },
                        },
                        tls_only("PortalBucket"),
                    ],
                },
            },
        },
        "PortalOriginAccessControl": {
            "Type": "AWS::CloudFront::OriginAccessControl",
            "Properties": {
                "OriginAccessControlConfig": {
                    "Name": f"guichet-portal-{stage}",
                    "OriginAccessControlOriginType": "s3",
                    "SigningBehavior": "always",
                    "SigningProtocol": "sigv4",
                }
            },
        },
        "PortalPages": {
            "Type": "AWS::CloudFront::Function",
            "Properties": {
                "Name": f"guichet-portal-{stage}-pages",
                "AutoPublish": True,
                "FunctionConfig": {
                    "Comment": "The portal's pages are index.html",
                    "Runtime": "cloudfront-js-2.0",
                },
                "FunctionCode": viewer_request_function(),
            },
        },
        "PortalHeaders": {
            "Type": "AWS::CloudFront::ResponseHeadersPolicy",
            "Properties": {
                "ResponseHeadersPolicyConfig": {
                    "Name": f"guichet-portal-{stage}-headers",
                    "Comment": "The portal's security headers",
                    "SecurityHeadersConfig": _security_headers(),
                    "CustomHeadersConfig": {
                        "Items": [
                            {
                                "Header": "Cross-Origin-Opener-Policy",
                                "Value": PORTAL_SECURITY_HEADERS["Cross-Origin-Opener-Policy"],
                                "Override": True,
                            }
                        ]
                    },
                }
            },
        },
        "PortalDistribution": {
            "Type": "AWS::CloudFront::Distribution",
            "Properties": {
                "DistributionConfig": {
                    "Enabled": True,
                    "Comment": f"Guichet portal ({stage})",
                    "Aliases": {"Fn::If": ["HasPortalDomain", [{"Ref": "PortalDomainName"}], no_value]},
                    "DefaultRootObject": "index.html",
                    "HttpVersion": "http2and3",
                    "IPV6Enabled": True,
                    "PriceClass": "PriceClass_100",
                    "Origins": [
                        {
                            "Id": "portal",
                            "DomainName": {"Fn::GetAtt": ["PortalBucket", "RegionalDomainName"]},
                            "S3OriginConfig": {"OriginAccessIdentity": ""},
                            "OriginAccessControlId": {"Fn::GetAtt": ["PortalOriginAccessControl", "Id"]},
                        }
                    ],
                    "DefaultCacheBehavior": {
                        "TargetOriginId": "portal",
                        "ViewerProtocolPolicy": "redirect-to-https",
                        "AllowedMethods": ["GET", "HEAD"],
                        "CachedMethods": ["GET", "HEAD"],
                        "Compress": True,
                        "CachePolicyId": CACHING_OPTIMIZED,
                        "ResponseHeadersPolicyId": {"Ref": "PortalHeaders"},
                        "FunctionAssociations": [
                            {
                                "EventType": "viewer-request",
                                "FunctionARN": {"Fn::GetAtt": ["PortalPages", "FunctionARN"]},
                            }
                        ],
                    },
                    # a path that is neither a file nor a page: S3 answers 403 to the distribution
                    # (it may not list the bucket); the portal shows its own "not found"
                    "CustomErrorResponses": [
                        {
                            "ErrorCode": code,
                            "ResponseCode": 404,
                            "ResponsePagePath": "/index.html",
                            "ErrorCachingMinTTL": 60,
                        }
                        for code in (403, 404)
                    ],
                    "ViewerCertificate": {
                        "Fn::If": [
                            "HasPortalDomain",
                            {
                                "AcmCertificateArn": {"Ref": "PortalCertificateArn"},
                                "SslSupportMethod": "sni-only",
                                "MinimumProtocolVersion": "TLSv1.2_2021",
                            },
                            {"CloudFrontDefaultCertificate": True},
                        ]
                    },
                }
            },
        },
        "PortalDomainRecord": {
            "Type": "AWS::Route53::RecordSet",
            "Condition": "HasPortalRecord",
            "Properties": {
                "HostedZoneId": {"Ref": "HostedZoneId"},
                "Name": {"Ref": "PortalDomainName"},
                "Type": "A",
                "AliasTarget": {
                    "DNSName": {"Fn::GetAtt": ["PortalDistribution", "DomainName"]},
                    "HostedZoneId": CLOUDFRONT_HOSTED_ZONE,
                },
            },
        },
    }
    return {
        "AWSTemplateFormatVersion": "2010-09-09",
        "Description": f"Guichet portal ({stage}): private bucket, CloudFront with security headers",
        "Parameters": {
            "PortalDomainName": {
                "Type": "String",
                "Default": "",
                "AllowedPattern": _HOSTNAME,
                "Description": "The portal's domain, e.g. espace-client.example.com; empty for CloudFront's",
            },
            "PortalCertificateArn": {
                "Type": "String",
                "Default": "",
                "Description": "ACM certificate of PortalDomainName, in us-east-1 (CloudFront's region)",
            },
            "HostedZoneId": {
                "Type": "String",
                "Default": "",
                "Description": "Route 53 hosted zone that receives the PortalDomainName alias record",
            },
            "ApiOrigin": {
                "Type": "String",
                "Default": "",
                "AllowedPattern": _ORIGIN,
                "Description": "The API's origin when it has a domain of its own, "
                "e.g. https://api.espace-client.example.com",
            },
        },
        "Conditions": {
            "HasPortalDomain": {"Fn::Not": [{"Fn::Equals": [{"Ref": "PortalDomainName"}, ""]}]},
            "HasPortalRecord": {
                "Fn::And": [
                    {"Condition": "HasPortalDomain"},
                    {"Fn::Not": [{"Fn::Equals": [{"Ref": "HostedZoneId"}, ""]}]},
                ]
            },
            "HasApiOrigin": {"Fn::Not": [{"Fn::Equals": [{"Ref": "ApiOrigin"}, ""]}]},
        },
        "Resources": resources,
        "Outputs": {
            "PortalBucketName": {"Value": {"Ref": "PortalBucket"}},
            "PortalDistributionId": {"Value": {"Ref": "PortalDistribution"}},
            "PortalUrl": {
                "Value": {
                    "Fn::If": [
                        "HasPortalDomain",
                        {"Fn::Sub": "https://${PortalDomainName}"},
                        {"Fn::Sub": "https://${PortalDistribution.DomainName}"},
                    ]
                }
            },
        },
    }
