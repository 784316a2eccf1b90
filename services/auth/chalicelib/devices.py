"""What a session's device is, in words a customer recognises ("Chrome, Linux", "Mobile Safari,
iOS, iPhone") rather than its raw User-Agent: parsed by ua-parser (the maintained port of
Browserscope's rules, their regexes precompiled by ua-parser-builtins), imported only when
sessions are listed, so that a login pays nothing for it."""

from __future__ import annotations

import functools
from typing import Any, Literal

import ua_parser_builtins  # noqa: F401 (the precompiled rules parse() reads, pinned on their own)
from ua_parser import parse

Kind = Literal["phone", "tablet", "computer", "unknown"]
_TABLETS = ("ipad", "tablet", "kindle", "silk", "sm-t")


@functools.lru_cache(maxsize=256)
def describe(user_agent: str | None) -> dict[str, Any] | None:
    """{browser, os, device, kind} of a User-Agent, each null when the rules do not know it."""
    if not user_agent:
        return None
    parsed = parse(user_agent)
    browser = parsed.user_agent.family if parsed.user_agent and parsed.user_agent.family != "Other" else None
    system = parsed.os.family if parsed.os and parsed.os.family != "Other" else None
    device = (
        parsed.device.family
        if parsed.device and parsed.device.family not in ("Other", "Generic Smartphone")
        else None
    )
    return {"browser": browser, "os": system, "device": device, "kind": _kind(user_agent, system, device)}


def _kind(user_agent: str, system: str | None, device: str | None) -> Kind:
    text = f"{user_agent} {device or ''}".lower()
    if any(word in text for word in _TABLETS):
        return "tablet"
    if "mobi" in text or system in ("iOS", "Android"):
        return "phone"
    if system in ("Windows", "Mac OS X", "Linux", "Ubuntu", "Chrome OS", "Fedora", "Debian"):
        return "computer"
    return "unknown"
