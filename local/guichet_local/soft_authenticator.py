"""A software WebAuthn authenticator for the route tests: what a browser and a platform
authenticator return to navigator.credentials.create() and .get(), as JSON (base64url), made
with a real P-256 key (attestation "none"), so the service's checks run on genuine responses."""

from __future__ import annotations

import base64
import hashlib
import json
import os
from dataclasses import dataclass, field
from typing import Any

UP, UV, AT = 0x01, 0x04, 0x40


def b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _credential(credential_id: bytes, **response: Any) -> dict[str, Any]:
    """A PublicKeyCredential as the browser's toJSON() writes it."""
    return {
        "id": b64(credential_id),
        "rawId": b64(credential_id),
        "type": "public-key",
        "response": response,
        "clientExtensionResults": {},
        "authenticatorAttachment": "platform",
    }


@dataclass
class SoftAuthenticator:
    origin: str = "http://localhost:8000"
    user_verified: bool = True
    credentials: dict[bytes, dict[str, Any]] = field(default_factory=dict)

    def create(self, options: dict[str, Any], *, origin: str | None = None) -> dict[str, Any]:
        """The credential navigator.credentials.create(options) gives (a discoverable one)."""
        import cbor2
        from cryptography.hazmat.primitives.asymmetric import ec

        key = ec.generate_private_key(ec.SECP256R1())
        numbers = key.public_key().public_numbers()
        cose = cbor2.dumps(
            {1: 2, 3: -7, -1: 1, -2: numbers.x.to_bytes(32, "big"), -3: numbers.y.to_bytes(32, "big")}
        )
        credential_id = os.urandom(16)
        rp_id = options["rp"]["id"]
        self.credentials[credential_id] = {
            "key": key,
            "rp_id": rp_id,
            "user_handle": unb64(options["user"]["id"]),
            "count": 0,
        }
        auth_data = (
            hashlib.sha256(rp_id.encode()).digest()
            + bytes([UP | (UV if self.user_verified else 0) | AT])
            + (0).to_bytes(4, "big")
            + bytes(16)
            + len(credential_id).to_bytes(2, "big")
            + credential_id
            + cose
        )
        client_data = self._client_data("webauthn.create", options["challenge"], origin)
        attestation = cbor2.dumps({"fmt": "none", "attStmt": {}, "authData": auth_data})
        return _credential(
            credential_id,
            clientDataJSON=b64(client_data),
            attestationObject=b64(attestation),
            transports=["internal"],
        )

    def get(
        self, options: dict[str, Any], *, origin: str | None = None, credential_id: bytes | None = None
    ) -> dict[str, Any]:
        """The assertion navigator.credentials.get(options) gives: of an allowed credential, or
        of any this authenticator holds for the relying party (discoverable)."""
        from cryptography.hazmat.primitives import hashes
        from cryptography.hazmat.primitives.asymmetric import ec

        allowed = [unb64(item["id"]) for item in options.get("allowCredentials") or []]
        if credential_id is None:
            credential_id = next(
                found
                for found, held in self.credentials.items()
                if held["rp_id"] == options["rpId"] and (not allowed or found in allowed)
            )
        held = self.credentials[credential_id]
        held["count"] += 1
        auth_data = (
            hashlib.sha256(options["rpId"].encode()).digest()
            + bytes([UP | (UV if self.user_verified else 0)])
            + held["count"].to_bytes(4, "big")
        )
        client_data = self._client_data("webauthn.get", options["challenge"], origin)
        signature = held["key"].sign(
            auth_data + hashlib.sha256(client_data).digest(), ec.ECDSA(hashes.SHA256())
        )
        return _credential(
            credential_id,
            clientDataJSON=b64(client_data),
            authenticatorData=b64(auth_data),
            signature=b64(signature),
            userHandle=b64(held["user_handle"]),
        )

    def _client_data(self, kind: str, challenge: str, origin: str | None) -> bytes:
        return json.dumps(
            {"type": kind, "challenge": challenge, "origin": origin or self.origin, "crossOrigin": False}
        ).encode()
