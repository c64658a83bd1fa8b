"""Make moto behave as AWS does where Berth relies on it.

`serialise_dynamodb`: moto's DynamoDB applies each request atomically, as DynamoDB does.
moto checks a write's condition and then writes, with no lock between the two, so two
threads can both pass `attribute_not_exists` or `offset = :start`. Real DynamoDB never
lets that happen, and Berth's upload sessions and tag moves rely on it. The local server
and the tests serialise moto's DynamoDB actions so that concurrency behaves as in AWS.

`accept_swagger_imports`: moto's API Gateway imports the Swagger 2.0 that Chalice sends.
"""

from __future__ import annotations

import threading
from typing import Any

_lock = threading.RLock()
_applied = False


def serialise_dynamodb() -> None:
    global _applied
    if _applied:
        return
    from moto.dynamodb.responses import DynamoHandler

    original = DynamoHandler.call_action

    def call_action(self: Any) -> Any:
        with _lock:
            return original(self)

    DynamoHandler.call_action = call_action  # type: ignore[method-assign]
    _applied = True


_swagger_applied = False


def accept_swagger_imports() -> None:
    """Let moto's API Gateway import a Swagger 2.0 document, as AWS does.

    `chalice deploy` creates its REST API with ImportRestApi and updates it with PutRestApi,
    both with Swagger 2.0. moto (5.2) refuses anything but OpenAPI 3 and requires
    `info.description`. The part of the document moto reads (paths, methods, responses,
    `x-amazon-apigateway-integration`) is spelled the same in both versions, so the document
    is relabelled, not translated. moto still ignores the top-level extensions (binary media
    types, policy): tests/deploy/test_real_chalice.py says what it checks."""
    global _swagger_applied
    if _swagger_applied:
        return
    from moto.apigateway.models import APIGatewayBackend

    original_import = APIGatewayBackend.import_rest_api
    original_put = APIGatewayBackend.put_rest_api

    def relabel(document: dict[str, Any]) -> dict[str, Any]:
        if document.get("swagger") == "2.0":
            document = {k: v for k, v in document.items() if k != "swagger"}
            document["openapi"] = "3.0.1"
        document["info"] = {"description": "", **document.get("info", {})}
        return document

    def import_rest_api(self: Any, api_doc: dict[str, Any], fail_on_warnings: bool) -> Any:
        return original_import(self, relabel(api_doc), fail_on_warnings)

    def put_rest_api(
        self: Any,
        function_id: str,
        api_doc: dict[str, Any],
        fail_on_warnings: bool,
        mode: str = "merge",
    ) -> Any:
        return original_put(self, function_id, relabel(api_doc), fail_on_warnings, mode)

    APIGatewayBackend.import_rest_api = import_rest_api  # type: ignore[method-assign]
    APIGatewayBackend.put_rest_api = put_rest_api  # type: ignore[method-assign]
    _swagger_applied = True
