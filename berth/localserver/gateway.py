"""One request, one Lambda invocation: what API Gateway and Lambda do around the handler."""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from berth.localserver.events import (
    LambdaContext,
    RouteTable,
    build_event,
    decode_response,
    new_request_id,
)
from berth.localserver.log import fields, logger
from berth.localserver.messages import GatewayRequest, GatewayResponse

LambdaHandler = Callable[[dict[str, Any], Any], Mapping[str, Any]]

# Lambda's synchronous response payload limit; a larger result makes API Gateway answer 502.
LAMBDA_RESPONSE_LIMIT = 6_000_000
# API Gateway REST gives up on the integration after 29 s and answers 504.
GATEWAY_TIMEOUT_SECONDS = 29.0


@dataclass(frozen=True, slots=True)
class GatewayOptions:
    stage: str = "local"
    # Answer as AWS would: refuse oversized payloads, time out after 29 s.
    lambda_limits: bool = False
    function_name: str = "berth-local"


def _aws_error(status: int, message: str, error_type: str) -> GatewayResponse:
    body = json.dumps({"message": message}).encode()
    headers = (("Content-Type", "application/json"), ("x-amzn-ErrorType", error_type))
    return GatewayResponse(status, headers, body)


class Gateway:
    """Routes a request to the handler as a REST proxy event and decodes its answer."""

    def __init__(
        self,
        handler: LambdaHandler,
        routes: Mapping[str, Iterable[str]],
        options: GatewayOptions | None = None,
    ) -> None:
        self._handler = handler
        self._routes = RouteTable(routes)
        self.options = options or GatewayOptions()

    def invoke(self, request: GatewayRequest) -> GatewayResponse:
        route = self._routes.match(request.path)
        if route is None or request.method not in route.methods:
            # API Gateway's answer for a path or method it has no resource for.
            return _aws_error(
                403, "Missing Authentication Token", "MissingAuthenticationTokenException"
            )
        request_id = new_request_id()
        event = build_event(request, route, stage=self.options.stage, request_id=request_id)
        timeout = GATEWAY_TIMEOUT_SECONDS if self.options.lambda_limits else 900.0
        context = LambdaContext(request_id, self.options.function_name, timeout)
        started = time.monotonic()
        try:
            result = self._handler(event, context)
        except Exception as error:  # Lambda reports a crash; API Gateway turns it into 502
            logger.error("handler raised", exc_info=error, extra=fields(request_id=request_id))
            return _aws_error(502, "Internal server error", "InternalServerErrorException")
        finally:
            del event  # the base64 body can be large; let it go before the response is sent
        if self.options.lambda_limits:
            if time.monotonic() - started > GATEWAY_TIMEOUT_SECONDS:
                return _aws_error(504, "Endpoint request timed out", "IntegrationTimeout")
            if len(json.dumps(result, default=str)) > LAMBDA_RESPONSE_LIMIT:
                return _aws_error(502, "Internal server error", "InternalServerErrorException")
        return decode_response(result)
