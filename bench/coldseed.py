"""Run in a child process against a moto server (AWS_ENDPOINT_URL set): push a small image
so the cold-start probe has a manifest to GET. Prints the manifest's digest."""

from __future__ import annotations

import sys


def main() -> None:
    from chalice.test import Client

    from app import app
    from bench.apiclient import ApiClient

    repo, tag = sys.argv[1], sys.argv[2]
    with Client(app) as client:
        digest, _, _ = ApiClient(client).push_small_image(repo, tag)
    print(digest)


if __name__ == "__main__":
    main()
