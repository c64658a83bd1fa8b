"""The web interface's cold probe, run as a script in a fresh interpreter (never imported by
the bench): import the app and answer one GET of a page (`/ui`, a repository page) through
the Lambda handler with an API Gateway REST proxy event, or, with `manifest`, the manifest GET
coldprobe.py times, to report which of the app's modules that answer loaded. Prints one JSON
line: the status, the times inside the process, and whether chalicelib.web was imported.

Imports nothing from `bench` but its sibling script coldprobe.py (for the manifest event), and
`json` only once the answer is timed."""

import time

_STARTED = time.perf_counter()
_STARTED_EPOCH = time.time()

import sys  # noqa: E402

# run as a script beside coldprobe.py (sys.path[0] is bench/), which mypy checks as bench.coldprobe
from coldprobe import _Context, _event  # type: ignore[import-not-found]  # noqa: E402


def _page_event(path: str, query: dict[str, str]) -> dict[str, object]:
    headers = {"Accept": "text/html", "Host": "localhost"}
    return {
        "resource": path,
        "path": path,
        "httpMethod": "GET",
        "headers": headers,
        "multiValueHeaders": {k: [v] for k, v in headers.items()},
        "queryStringParameters": query or None,
        "multiValueQueryStringParameters": {k: [v] for k, v in query.items()} or None,
        "pathParameters": None,
        "stageVariables": None,
        "requestContext": {
            "resourceId": "bench",
            "resourcePath": path,
            "httpMethod": "GET",
            "path": path,
            "requestId": "ui-cold-probe",
            "accountId": "123456789012",
            "apiId": "bench",
            "stage": "api",
            "identity": {"sourceIp": "127.0.0.1"},
        },
        "body": None,
        "isBase64Encoded": False,
    }


def main() -> None:
    what, repo, tag = sys.argv[1], sys.argv[2], sys.argv[3]
    if what == "manifest":
        event = _event(repo, tag)
    elif what == "index":
        event = _page_event("/ui", {})
    else:
        event = _page_event("/ui/repository", {"name": repo})
    import app

    imported = time.perf_counter()
    result = app.app(event, _Context())
    answered = time.perf_counter()
    import json

    print(
        json.dumps(
            {
                "status": result.get("statusCode"),
                "mentions_repo": repo in str(result.get("body") or ""),
                "mentions_tag": tag in str(result.get("body") or ""),
                "web_loaded": sorted(m for m in sys.modules if m.startswith("chalicelib.web")),
                "import_s": imported - _STARTED,
                "request_s": answered - imported,
                "started_epoch": _STARTED_EPOCH,
            }
        ),
        flush=True,
    )


if __name__ == "__main__":
    main()
