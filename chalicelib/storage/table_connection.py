"""The one pynamodb Connection, so one DynamoDB client, of every model and transaction.

pynamodb gives each model class its own connection, each with its own botocore session and
client: a cold manifest GET that reads a tag, a trust policy and the cache rules made three
clients, each parsing the DynamoDB model and its endpoint rules again. Every item lives in
one table, so one connection serves them all, made from the runtime's one session
(chalicelib/aws_session.py)."""

from __future__ import annotations

import threading
from typing import TYPE_CHECKING, Any

from pynamodb.connection import Connection, TableConnection
from pynamodb.exceptions import TableError

from chalicelib import aws_session
from chalicelib.config import settings

if TYPE_CHECKING:
    from botocore.session import Session

# Lambda's requests are short: fail fast and let the client retry.
CONNECT_TIMEOUT_S = 5
READ_TIMEOUT_S = 30
MAX_RETRY_ATTEMPTS = 3
# The local server runs requests in threads; one pool serves every model.
MAX_POOL_CONNECTIONS = 32

_lock = threading.Lock()
_connection: SharedConnection | None = None


class SharedConnection(Connection):
    """pynamodb's Connection on the runtime's session, its client made under its lock."""

    @property
    def session(self) -> Session:
        return aws_session.session()

    @property
    def client(self) -> Any:
        with aws_session.LOCK:
            return super().client


def attach(table: TableConnection) -> None:
    """Put a model's TableConnection on the shared connection. Every model has the same key
    schema (pk, sk; no index), so the first model's table description serves them all."""
    shared = connection()
    with _lock:
        try:
            shared.get_meta_table(table.table_name)
        except TableError:
            shared.add_meta_table(table.get_meta_table())
        table.connection = shared


def connection() -> SharedConnection:
    global _connection
    with _lock:
        if _connection is None:
            config = settings()
            _connection = SharedConnection(
                region=config.region,
                host=config.endpoint_url,
                connect_timeout_seconds=CONNECT_TIMEOUT_S,
                read_timeout_seconds=READ_TIMEOUT_S,
                max_retry_attempts=MAX_RETRY_ATTEMPTS,
                max_pool_connections=MAX_POOL_CONNECTIONS,
            )
        return _connection
