"""Entry point of the moto child process: `python -m berth.localserver.moto_child`.

moto keeps every object in a spool file (in memory up to 5 MiB, on disk beyond), and with
`berth.moto_s3_spool` it completes multipart uploads and copies parts file to file; it runs
in its own process all the same, so the server's memory stays flat whatever moto does.
It prints its port on stdout, then serves until its stdin closes: the parent closing the
pipe, or dying, stops it.
"""

from __future__ import annotations

import logging
import os
import sys


def main() -> None:
    from moto.server import ThreadedMotoServer

    from berth.moto_s3_spool import stream_multipart_objects
    from berth.motofix import (
        cheap_transactions,
        fit_for_chalice,
        indexed_queries,
        plain_item_answers,
        route_presigned_sts,
        serialise_dynamodb,
    )

    serialise_dynamodb()  # conditional writes atomic, as in DynamoDB
    cheap_transactions()  # a transaction costs what it touches, not the table size
    indexed_queries()  # a Query reads its partition, not the whole table
    plain_item_answers()  # GetItem without moto's serializer walk (the pull path's call)
    stream_multipart_objects()  # no whole object in memory to assemble or copy a blob
    _open_files_up_to_the_hard_limit()
    fit_for_chalice()  # `chalice deploy` rehearsed against this server (tests/deploy)
    route_presigned_sts()  # IAM login passwords reach STS, not S3
    logging.getLogger("werkzeug").setLevel(logging.ERROR)  # no line per request
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    _, port = server.get_host_and_port()
    sys.stdout.write(f"{port}\n")
    sys.stdout.flush()
    try:
        sys.stdin.buffer.read()  # returns at EOF: the parent is done with us
    except KeyboardInterrupt:
        pass
    # Everything is in memory and meant to vanish; skip the slow interpreter teardown.
    os._exit(0)


def _open_files_up_to_the_hard_limit() -> None:
    """A blob assembled from parts keeps a descriptor per part (`berth.moto_s3_spool`): a
    registry of many large layers would run out at a desktop's soft limit of 1024."""
    import resource

    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft != hard:
        try:
            resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
        except (ValueError, OSError):  # as before: moto copies where it cannot open again
            pass


if __name__ == "__main__":
    main()
