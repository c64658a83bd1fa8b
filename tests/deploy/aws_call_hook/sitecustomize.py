"""Loaded by every Python child of a deploy rehearsal that has this directory on PYTHONPATH
(Chalice, the first-admin step): appends each AWS call botocore makes to the file named by
$TEST_AWS_CALL_LOG, one JSON line per call (tests/deploy/operator_calls.py reads them)."""

import os

if os.environ.get("TEST_AWS_CALL_LOG"):
    from tests.deploy.operator_calls import install_child_hook

    install_child_hook(os.environ["TEST_AWS_CALL_LOG"])
