"""The cold-start probe, run as a script in a fresh interpreter (never imported by the bench):
import the app and answer one manifest GET through the Lambda handler with an API Gateway
REST proxy event. Prints one JSON line with the times measured inside the process.

Deliberately imports nothing from `bench`, and `json` only once the answer is timed, so
that what is timed is the app (time and sys are loaded by every interpreter anyway).
"""

import time

_STARTED = time.perf_counter()
_STARTED_EPOCH = time.time()  # compared by the parent with when it started this process

import sys  # noqa: E402


class _Context:
    aws_request_id = "cold-start-probe"
    function_name = "berth-bench"
    memory_limit_in_mb = "1024"

    def get_remaining_time_in_millis(self) -> int:
        return 30_000


def _event(repo: str, reference: str) -> dict[str, object]:
    segments = [*repo.split("/"), "manifests", reference]
    resource = "/v2/" + "/".join(f"{{p{i}}}" for i in range(1, len(segments) + 1))
    path = "/v2/" + "/".join(segments)
    headers = {"Accept": "application/vnd.oci.image.manifest.v1+json", "Host": "localhost"}
    return {
        "resource": resource,
        "path": path,
        "httpMethod": "GET",
        "headers": headers,
        "multiValueHeaders": {k: [v] for k, v in headers.items()},
        "queryStringParameters": None,
        "multiValueQueryStringParameters": None,
        "pathParameters": {f"p{i}": s for i, s in enumerate(segments, start=1)},
        "stageVariables": None,
        "requestContext": {
            "resourceId": "bench",
            "resourcePath": resource,
            "httpMethod": "GET",
            "path": path,
            "requestId": "cold-start-probe",
            "accountId": "123456789012",
            "apiId": "bench",
            "stage": "api",
            "identity": {"sourceIp": "127.0.0.1"},
        },
        "body": None,
        "isBase64Encoded": False,
    }


def main() -> None:
    repo, reference = sys.argv[1], sys.argv[2]
    import app

    imported = time.perf_counter()
    result = app.app(_event(repo, reference), _Context())
    answered = time.perf_counter()
    again = result
    if sys.argv[3:] == ["again"]:  # the same GET once more, warm, for contrast (untimed runs)
        again = app.app(_event(repo, reference), _Context())
    warm_s = time.perf_counter() - answered
    import json

    headers = result.get("headers") or {}
    print(
        json.dumps(
            {
                "status": result.get("statusCode"),
                "warm_status": again.get("statusCode"),
                "digest": headers.get("Docker-Content-Digest"),
                "import_s": imported - _STARTED,
                "request_s": answered - imported,
                "in_process_s": answered - _STARTED,
                "warm_request_s": warm_s,
                "started_epoch": _STARTED_EPOCH,
                # What the cold pull imported of Berth (tests/api/test_pull_imports.py).
                "chalicelib_modules": sorted(m for m in sys.modules if m.startswith("chalicelib")),
            }
        ),
        flush=True,  # the parent times the exit from when this line arrives
    )


if __name__ == "__main__":
    main()
