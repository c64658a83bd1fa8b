"""The function's log settings: Lambda's JSON log format with system logs at WARN.

In the default text format Lambda writes START, END and REPORT lines for every invocation,
about 300 bytes beside Berth's own request line, which CloudWatch Logs bills at $0.50 per GB
ingested (docs/cost.md). Log-level filtering needs the JSON format; with the system level at
WARN those three lines are dropped, and application lines at INFO (Berth's request line has a
`level`) pass unchanged. What the REPORT line said (duration, memory) is in the free
`AWS/Lambda` metrics; the request line keeps its own latency. Chalice's config cannot set
`LoggingConfig`, so the deploy sets it after Chalice has made or updated the function.
"""

from __future__ import annotations

from typing import Any

LOGGING_CONFIG = {
    "LogFormat": "JSON",
    "ApplicationLogLevel": "INFO",
    "SystemLogLevel": "WARN",
}


def ensure(lambda_client: Any, function_name: str) -> None:
    """Apply `LOGGING_CONFIG` once the function is not being updated any more (Chalice's own
    update may still be in progress: Lambda refuses a second one until it is done)."""
    lambda_client.get_waiter("function_updated_v2").wait(FunctionName=function_name)
    lambda_client.update_function_configuration(
        FunctionName=function_name, LoggingConfig=LOGGING_CONFIG
    )
