"""The Lambda Function URL front door: the registry at the root of its own host.

No API Gateway (no 29 s limit, no request fee, no stage prefix in the path). The function
itself answers both event formats (chalicelib/api/front_door.py). A public URL needs two
permissions since AWS's 2025 change: InvokeFunctionUrl with auth type NONE, and
InvokeFunction when invoked via a function URL. The registry does its own authentication.
"""

from __future__ import annotations

from typing import Any

URL_STATEMENT = "berth-function-url"
INVOKE_STATEMENT = "berth-function-url-invoke"


def ensure(lambda_client: Any, function_name: str) -> str:
    """Create (or find) the function's public URL; return it."""
    try:
        url = lambda_client.get_function_url_config(FunctionName=function_name)["FunctionUrl"]
    except lambda_client.exceptions.ResourceNotFoundException:
        url = lambda_client.create_function_url_config(FunctionName=function_name, AuthType="NONE")[
            "FunctionUrl"
        ]
    _permit(
        lambda_client,
        function_name,
        StatementId=URL_STATEMENT,
        Action="lambda:InvokeFunctionUrl",
        Principal="*",
        FunctionUrlAuthType="NONE",
    )
    _permit(
        lambda_client,
        function_name,
        StatementId=INVOKE_STATEMENT,
        Action="lambda:InvokeFunction",
        Principal="*",
        InvokedViaFunctionUrl=True,
    )
    return str(url)


def _permit(lambda_client: Any, function_name: str, **statement: Any) -> None:
    try:
        lambda_client.add_permission(FunctionName=function_name, **statement)
    except lambda_client.exceptions.ResourceConflictException:
        pass  # already granted by an earlier deploy
