"""The botocore loader of the runtime's sessions: it knows only the services Berth calls.

botocore's own loader answers "is there such a service?" by listing every service directory
of its data (over 400, each listed again for its API versions) the first time a session
creates a client, and again for the endpoint rule sets: tens of milliseconds of a cold start
spent on services Berth never calls. This loader looks in the directories of SERVICES only,
wherever botocore's data is (Lambda's runtime, the venv, AWS_DATA_PATH first), so the models
themselves still come from the installed botocore. A client of a service missing from
SERVICES is refused as botocore refuses an unknown one; tests/unit/test_aws_models.py finds
every client the runtime creates in its source and fails if its service is not listed here.
"""

from __future__ import annotations

import os

from botocore.exceptions import DataNotFoundError
from botocore.loaders import Loader, instance_cache

# Every service the runtime creates a botocore client for.
SERVICES = frozenset(
    {
        "dynamodb",  # pynamodb: every item (chalicelib/storage/)
        "ecr",  # replication to ECR (chalicelib/remote/ecr_client.py)
        "ecs",  # deploy-on-push triggers (chalicelib/events/triggers.py)
        "events",  # EventBridge (chalicelib/events/publish.py, chalicelib/replication/)
        "kms",  # token keys (chalicelib/auth/), the KMS signer (chalicelib/signing/)
        "lambda",  # deploy-on-push triggers
        "s3",  # blobs, uploads, presigning, the OSV mirror
        "secretsmanager",  # replication credentials by reference
        "sqs",  # webhook delivery queue
        "ssm",  # replication credentials by reference
        "sts",  # IAM logins (chalicelib/auth/iam.py)
    }
)


class BerthModels(Loader):
    """botocore's loader, with the list of available services limited to SERVICES."""

    @instance_cache
    def list_available_services(self, type_name: str) -> list[str]:
        found = []
        for service in sorted(SERVICES):
            try:
                self.list_api_versions(service, type_name)
            except DataNotFoundError:
                continue  # no model of this type (e.g. no waiters): as botocore would say
            found.append(service)
        return found


def models_loader(data_path: str | None) -> BerthModels:
    """The loader for a session whose `data_path` setting (AWS_DATA_PATH) is `data_path`:
    its directories are searched first, as botocore.loaders.create_loader does."""
    if not data_path:
        return BerthModels()
    paths = [os.path.expanduser(os.path.expandvars(p)) for p in data_path.split(os.pathsep)]
    return BerthModels(extra_search_paths=paths)
