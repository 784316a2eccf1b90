"""The services' PynamoDB models read botocore's data files once per process
(guichet_contracts.retries.share_botocore_data): each model class's connection has a botocore
session of its own, as PynamoDB makes them, over one data loader."""

from __future__ import annotations

from typing import Any

from guichet_contracts import retries
from pynamodb.attributes import UnicodeAttribute
from pynamodb.models import Model


def model(table: str) -> Any:
    class Meta:
        table_name = table
        region = "eu-west-3"
        host = "http://127.0.0.1:9"  # never called: only the clients are made
        aws_access_key_id = "testing"
        aws_secret_access_key = "testing"

    return type(f"Model_{table}", (Model,), {"Meta": Meta, "pk": UnicodeAttribute(hash_key=True)})


def test_the_models_connections_share_one_data_loader_not_one_session() -> None:
    retries.use_for_dynamodb()
    first, second = model("first")._get_connection().connection, model("second")._get_connection().connection

    assert first.client.meta.service_model.service_name == "dynamodb"
    assert second.client.meta.region_name == "eu-west-3"
    assert first.session is not second.session
    assert first.session.get_component("data_loader") is second.session.get_component("data_loader")
    assert retries.DYNAMODB["total_max_attempts"] == first.client.meta.config.retries["total_max_attempts"]
