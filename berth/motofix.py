"""Make moto behave as AWS does where Berth relies on it.

`serialise_dynamodb`: moto's DynamoDB applies each request atomically, as DynamoDB does.
moto checks a write's condition and then writes, with no lock between the two, so two
threads can both pass `attribute_not_exists` or `offset = :start`. Real DynamoDB never
lets that happen, and Berth's upload sessions and tag moves rely on it. The local server
and the tests serialise moto's DynamoDB actions so that concurrency behaves as in AWS.

`fit_for_chalice`: moto's API Gateway imports the Swagger 2.0 that Chalice sends, and its v2
API deletes a REST API's custom domain, as AWS's does (Chalice deletes domains through v2).

`route_presigned_sts`: moto's server picks a service from the Authorization header, and a
presigned request has none (its signature is in the query), so a presigned GetCallerIdentity,
which is what an IAM login password is, reached moto's S3 and got a bucket list. AWS routes by
host; this routes such a request by the service its `X-Amz-Credential` names, so the local
server's IAM login (and `berth ui login`) works as the deployed one does.

`plain_item_answers`: GetItem answered without moto's model-driven serializer (a local cost
DynamoDB does not have; the same bytes).
"""

from __future__ import annotations

import base64
import json
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


_chalice_applied = False


def fit_for_chalice() -> None:
    """What `chalice deploy` and `chalice delete` need of moto's API Gateway (both below)."""
    global _chalice_applied
    if _chalice_applied:
        return
    _accept_swagger_imports()
    _share_custom_domains()
    _chalice_applied = True


def _share_custom_domains() -> None:
    """In AWS, API Gateway's v1 and v2 APIs see one set of custom domain names, and Chalice
    deletes a REST API's domain (made with v1's CreateDomainName) with v2's DeleteDomainName.
    moto keeps two sets; a v2 delete of a name only v1 knows deletes it there."""
    from moto.apigateway.models import apigateway_backends
    from moto.apigatewayv2.exceptions import DomainNameNotFound
    from moto.apigatewayv2.models import ApiGatewayV2Backend

    original = ApiGatewayV2Backend.delete_domain_name

    def delete_domain_name(self: Any, domain_name: str) -> None:
        try:
            original(self, domain_name)
        except DomainNameNotFound:
            rest = apigateway_backends[self.account_id][self.region_name]
            if domain_name not in rest.domain_names:
                raise
            rest.delete_domain_name(domain_name)

    ApiGatewayV2Backend.delete_domain_name = delete_domain_name  # type: ignore[method-assign]


def _accept_swagger_imports() -> None:
    """Let moto's API Gateway import a Swagger 2.0 document, as AWS does.

    `chalice deploy` creates its REST API with ImportRestApi and updates it with PutRestApi,
    both with Swagger 2.0. moto (5.2) refuses anything but OpenAPI 3 and requires
    `info.description`. The part of the document moto reads (paths, methods, responses,
    `x-amazon-apigateway-integration`) is spelled the same in both versions, so the document
    is relabelled, not translated. moto still ignores the top-level extensions (binary media
    types, policy): tests/deploy/test_real_chalice.py says what it checks."""
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


def cheap_transactions() -> None:
    """Make moto's TransactWriteItems undo by item, not by copying whole tables.

    moto deep-copies every table a transaction names before applying it, so each manifest
    push costs time in proportion to everything the registry holds: the local server slowed
    as it filled. This keeps moto's semantics (all or nothing; conditions as before) but
    snapshots only the items the transaction names and puts those back on failure. Safe
    because `serialise_dynamodb` lets one action run at a time.
    """
    global _cheap_applied
    if _cheap_applied:
        return
    import copy

    import moto.dynamodb.models as models
    from moto.dynamodb.models import DynamoDBBackend
    from moto.dynamodb.models.table import Table

    class _KeepTables:
        """Stands in for the `copy` module inside moto.dynamodb.models: tables are not copied
        (their items are snapshotted by the wrapper below), anything else is."""

        @staticmethod
        def deepcopy(value: Any, memo: Any = None) -> Any:
            return value if isinstance(value, Table) else copy.deepcopy(value, memo)

    original = DynamoDBBackend.transact_write_items

    def transact_write_items(self: Any, transact_items: list[dict[str, Any]]) -> None:
        snapshots = [_snapshot(self, entry) for entry in transact_items]
        try:
            original(self, transact_items)
        except Exception:
            for snapshot in reversed(snapshots):
                if snapshot is not None:
                    _restore(*snapshot)
            raise

    setattr(models, "copy", _KeepTables)  # noqa: B010 (moto does not export it)
    DynamoDBBackend.transact_write_items = transact_write_items  # type: ignore[method-assign]
    _cheap_applied = True


_cheap_applied = False


def _snapshot(backend: Any, entry: dict[str, Any]) -> tuple[Any, Any, Any, Any] | None:
    """(table, hash key, range key, a copy of the item or None) for one transaction entry."""
    import copy

    from moto.dynamodb.models.dynamo_type import DynamoType

    if len(entry) != 1:
        return None
    operation = next(iter(entry.values()))
    table = backend.tables.get(operation.get("TableName"))
    key = operation.get("Item") or operation.get("Key") or {}
    if table is None or table.hash_key_attr not in key:
        return None
    hash_key = DynamoType(key[table.hash_key_attr])
    range_key = None
    if table.range_key_attr is not None:
        if table.range_key_attr not in key:
            return None
        range_key = DynamoType(key[table.range_key_attr])
    current = table.get_item(hash_key, range_key)
    return table, hash_key, range_key, copy.deepcopy(current)


def _restore(table: Any, hash_key: Any, range_key: Any, item: Any) -> None:
    if item is None:
        table.delete_item(hash_key, range_key)
    elif range_key is not None:
        table.items[hash_key][range_key] = item
    else:
        table.items[hash_key] = item


_indexed_applied = False


def indexed_queries() -> None:
    """Make moto's Query on a table's own key read one partition, not the whole table.

    moto answers every Query by sorting every item of the table and filtering by partition
    key, so each Query cost time in proportion to everything stored: a lifecycle run over
    10,000 manifests spent minutes in it, and the local server slowed as it filled. DynamoDB
    reads just the partition; so does this (queries on an index are left to moto as they
    are). Safe because `serialise_dynamodb` lets one action run at a time: the partition's
    items stand in for `all_items` for the duration of the one call.
    """
    global _indexed_applied
    if _indexed_applied:
        return
    from moto.dynamodb.models.table import Table

    original = Table.query

    def query(self: Any, hash_key: Any, *args: Any, **kwargs: Any) -> Any:
        index_name = kwargs.get("index_name") or (args[6] if len(args) > 6 else None)
        if index_name or hash_key is None or self.range_key_attr is None:
            return original(self, hash_key, *args, **kwargs)
        partition = self.items.get(hash_key)  # .get: `items` is a defaultdict
        items = sorted(partition.values(), key=lambda item: item.range_key) if partition else []
        self.all_items = lambda: items  # an instance attribute shadows the method
        try:
            return original(self, hash_key, *args, **kwargs)
        finally:
            del self.all_items

    Table.query = query  # type: ignore[method-assign]
    _indexed_applied = True


_presigned_applied = False


def route_presigned_sts() -> None:
    global _presigned_applied
    if _presigned_applied:
        return
    from urllib.parse import parse_qs

    from moto.moto_server.werkzeug_app import DomainDispatcherApplication

    original = DomainDispatcherApplication.infer_service_region_host

    def infer_service_region_host(self: Any, environ: dict[str, Any], path: str) -> str | None:
        if not environ.get("HTTP_AUTHORIZATION"):
            query = parse_qs(str(environ.get("QUERY_STRING", "")))
            scope = (query.get("X-Amz-Credential") or [""])[0].split("/")
            if len(scope) == 5 and scope[3] == "sts":  # key/day/region/service/aws4_request
                return f"sts.{scope[2]}.amazonaws.com"
        return original(self, environ, path)

    DomainDispatcherApplication.infer_service_region_host = infer_service_region_host  # type: ignore[method-assign]
    _presigned_applied = True


def plain_item_answers() -> None:
    """Answer GetItem with its item as JSON, without moto's model-driven serializer.

    moto walks botocore's output shape for every answer, asking each value for several
    attribute aliases; for the pull path's one GetItem that walk was a quarter of the moto
    child's CPU, so a local manifest GET cost moto more than the S3 GET it is measured
    against (docs/cost.md). DynamoDB has no such cost. The item is already in DynamoDB's
    JSON form (binary values are bytes, sent base64 as the serializer does); an answer with
    anything but `Item` and `ConsumedCapacity` takes moto's serializer as before.
    tests/storage/test_motofix_items.py checks both give the same bytes."""
    global _plain_applied
    if _plain_applied:
        return
    from moto import settings
    from moto.dynamodb.responses import DynamoHandler

    original = DynamoHandler.serialized

    def serialized(self: Any, action_result: Any) -> Any:
        result = action_result.result
        if not (isinstance(result, dict) and result.keys() <= _PLAIN_KEYS):
            return original(self, action_result)
        if self._get_action() != "GetItem" or settings.PRETTIFY_RESPONSES:
            return original(self, action_result)
        headers: dict[str, Any] = {"Content-Type": "application/x-amz-json-1.0"}
        headers.update(self.response_headers)
        headers["status"] = 200
        return 200, headers, json.dumps(result, default=_base64)

    DynamoHandler.serialized = serialized  # type: ignore[method-assign]
    _plain_applied = True


def _base64(value: object) -> str:
    if isinstance(value, bytes):
        return base64.b64encode(value).decode()
    raise TypeError(f"{type(value).__name__} in a DynamoDB item")


_plain_applied = False
# GetItem's answer as pynamodb asks for it (ReturnConsumedCapacity=TOTAL): an item and the
# capacity it consumed, plain strings, numbers and maps.
_PLAIN_KEYS = frozenset({"Item", "ConsumedCapacity"})
