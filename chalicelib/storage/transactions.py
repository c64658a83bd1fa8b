"""DynamoDB transactions and the one question asked of every conditional failure."""

from __future__ import annotations

from typing import Any

from pynamodb.connection import Connection
from pynamodb.exceptions import PynamoDBException
from pynamodb.transactions import TransactWrite

from chalicelib.storage.table_connection import connection as shared_connection


def connection() -> Connection:
    """The models' own connection (chalicelib/storage/table_connection.py)."""
    return shared_connection()


def transaction() -> TransactWrite:
    """A TransactWriteItems batch: everything in it is written, or nothing."""
    return TransactWrite(connection=connection())


def condition_failed(error: PynamoDBException) -> bool:
    """True when a write was refused by its condition (not by a fault worth a retry)."""
    code = getattr(error, "cause_response_code", None)
    if code == "ConditionalCheckFailedException":
        return True
    if code == "TransactionCanceledException":
        reasons: list[Any] = getattr(error, "cancellation_reasons", None) or []
        return any(r is not None and r.code == "ConditionalCheckFailed" for r in reasons)
    return False
