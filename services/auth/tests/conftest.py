"""Auth service tests: the real Chalice app on moto, resources from the deployed template.

One moto backend serves the whole session (tables and keys are made once); tests stay
independent by each registering their own customers.
"""

from __future__ import annotations

import json
import os
import sys
import uuid
from collections.abc import Iterator
from email import message_from_bytes, policy
from pathlib import Path
from typing import Any

import pytest

SERVICE_DIR = Path(__file__).resolve().parents[1]
STACK = "guichet-test"
PASSWORD = "correct horse battery staple 42"

sys.path.insert(0, str(SERVICE_DIR))
_config = json.loads((SERVICE_DIR / ".chalice" / "config.json").read_text())
os.environ.update(_config["environment_variables"])
os.environ.update(_config["stages"]["local"]["environment_variables"])
os.environ.update(
    {
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_SESSION_TOKEN": "testing",
        "AWS_DEFAULT_REGION": "eu-west-3",
        "AUTH_TABLE_NAME": f"{STACK}-auth",
        "POWERTOOLS_LOG_LEVEL": "WARNING",
    }
)
os.environ.pop("AWS_ENDPOINT_URL", None)


@pytest.fixture(scope="session", autouse=True)
def aws() -> Iterator[None]:
    from guichet_local.resources import deploy_service_resources
    from moto import mock_aws

    with mock_aws():
        outputs = deploy_service_resources(SERVICE_DIR, STACK)
        assert outputs["AUTH_TABLE_NAME"] == os.environ["AUTH_TABLE_NAME"]
        import boto3

        boto3.client("ses").verify_email_identity(EmailAddress="no-reply@guichet.test")
        yield


@pytest.fixture(scope="session")
def app() -> Any:
    from app import app as chalice_app

    return chalice_app


@pytest.fixture
def client(app: Any) -> Iterator[Any]:
    from chalice.test import Client

    with Client(app, stage_name="local", project_dir=str(SERVICE_DIR)) as test_client:
        yield test_client


class Mailbox:
    """What SES (moto) has sent, parsed like a mail client would."""

    def messages(self, to: str) -> list[dict[str, str]]:
        from moto.core import DEFAULT_ACCOUNT_ID
        from moto.ses.models import ses_backends

        found = []
        for message in ses_backends[DEFAULT_ACCOUNT_ID][os.environ["AWS_DEFAULT_REGION"]].sent_messages:
            raw = getattr(message, "raw_data", None)
            if raw is None:
                continue
            parsed = message_from_bytes(raw.encode() if isinstance(raw, str) else raw, policy=policy.default)
            if to.lower() not in parsed["To"].lower():
                continue
            parts = {
                part.get_content_type(): part.get_payload(decode=True).decode()
                for part in parsed.walk()
                if not part.is_multipart()
            }
            found.append(
                {
                    "subject": str(parsed["Subject"]),
                    "text": parts.get("text/plain", ""),
                    "html": parts.get("text/html", ""),
                }
            )
        return found

    def last(self, to: str) -> dict[str, str]:
        messages = self.messages(to)
        assert messages, f"no email to {to}"
        return messages[-1]


@pytest.fixture
def mailbox() -> Mailbox:
    return Mailbox()


def unique_email(tag: str = "client") -> str:
    return f"{tag}-{uuid.uuid4().hex[:10]}@example.org"
