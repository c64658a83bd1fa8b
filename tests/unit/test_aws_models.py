"""The runtime's botocore loader (chalicelib/aws_models.py) and its one session
(chalicelib/aws_session.py): what the cold start relies on.

- every service the runtime creates a client for, found in its source, has its models listed
  (a new client without its service in SERVICES fails here, not in Lambda);
- those models load from the installed botocore data with the shipped endpoint data in front,
  and a client of each is made offline;
- making a session's first clients lists no directory of botocore's data but those of Berth's
  services (botocore's own loader lists every service's, which this test checks too, so that
  it would notice if the listing moved elsewhere);
- the loader is applied lazily: importing the app makes no session;
- every client of the runtime, pynamodb's included, comes from the one session.
"""

from __future__ import annotations

import ast
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import botocore.loaders
import botocore.session
import pytest
from botocore.exceptions import UnknownServiceError

from chalicelib.aws_models import SERVICES, BerthModels, models_loader

ROOT = Path(__file__).resolve().parents[2]
RUNTIME = [*sorted((ROOT / "chalicelib").rglob("*.py")), ROOT / "app.py"]
AWS_DATA = ROOT / "chalicelib" / "awsdata"
BOTOCORE_DATA = Path(botocore.loaders.Loader.BUILTIN_DATA_PATH)

# Calls that make a client, by the name called: botocore's and boto3's, and the runtime's own
# wrappers (chalicelib/auth/aws.py `client`, chalicelib/aws_session.py `create_client`).
CLIENT_MAKERS = {"client", "create_client"}
# The wrappers themselves pass the service on as a variable; nothing else may.
FORWARDERS = {"chalicelib/auth/aws.py", "chalicelib/aws_session.py"}


def _called_name(call: ast.Call) -> str | None:
    if isinstance(call.func, ast.Name):
        return call.func.id
    if isinstance(call.func, ast.Attribute):
        return call.func.attr
    return None


def _client_calls() -> Iterator[tuple[str, ast.Call]]:
    for path in RUNTIME:
        relative = path.relative_to(ROOT).as_posix()
        for node in ast.walk(ast.parse(path.read_text(), filename=relative)):
            if isinstance(node, ast.Call) and _called_name(node) in CLIENT_MAKERS and node.args:
                yield relative, node


def services_in_the_code() -> set[str]:
    """Every service named where the runtime makes a client, plus pynamodb's DynamoDB."""
    from pynamodb.constants import SERVICE_NAME

    found = {SERVICE_NAME}
    for relative, call in _client_calls():
        first = call.args[0]
        if isinstance(first, ast.Constant) and isinstance(first.value, str):
            found.add(first.value)
        else:
            assert relative in FORWARDERS, (
                f"{relative}:{call.lineno} makes a client of a service named by a variable; "
                "name it with a string literal so the loader's list can be checked"
            )
    return found


def test_every_service_the_runtime_calls_is_listed() -> None:
    found = services_in_the_code()
    assert {"dynamodb", "s3", "kms", "sts", "sqs", "events"} <= found  # the scan finds them
    assert found - SERVICES == set(), "add these to chalicelib/aws_models.py SERVICES"
    assert SERVICES - found == set(), "no client of these is made: drop them from SERVICES"


def test_the_scan_sees_a_new_client() -> None:
    source = 'def f():\n    return aws_session.create_client("glacier")\n'
    (call,) = [n for n in ast.walk(ast.parse(source)) if isinstance(n, ast.Call)]
    assert _called_name(call) == "create_client"
    assert isinstance(call.args[0], ast.Constant) and call.args[0].value not in SERVICES


@pytest.mark.parametrize("service", sorted(SERVICES))
def test_each_model_loads_from_botocore_data(service: str) -> None:
    loader = models_loader(str(AWS_DATA))
    assert service in loader.list_available_services("service-2")
    model = loader.load_service_model(service, "service-2")
    assert model["metadata"]["endpointPrefix"]
    assert loader.load_service_model(service, "endpoint-rule-set-1")["rules"]
    # The same answer as botocore's own loader.
    assert model == botocore.loaders.create_loader(str(AWS_DATA)).load_service_model(
        service, "service-2"
    )


def _berth_session() -> botocore.session.Session:
    session = botocore.session.Session()
    session.register_component("data_loader", models_loader(str(AWS_DATA)))
    return session


def test_a_client_of_each_service_is_made_offline() -> None:
    session = _berth_session()
    for service in sorted(SERVICES):
        client: Any = session.create_client(
            service,
            region_name="us-east-1",
            aws_access_key_id="offline",
            aws_secret_access_key="offline",
        )
        assert client.meta.service_model.service_name == service


def test_a_service_outside_the_list_is_refused_as_unknown() -> None:
    with pytest.raises(UnknownServiceError):
        _berth_session().create_client("cloudformation", region_name="us-east-1")


def _listed_during(
    monkeypatch: pytest.MonkeyPatch, session: botocore.session.Session
) -> list[Path]:
    listed: list[Path] = []
    real_listdir = os.listdir

    def listdir(path: Any = ".") -> list[str]:
        listed.append(Path(path))
        return real_listdir(path)

    monkeypatch.setattr(os, "listdir", listdir)
    for service in ("dynamodb", "s3", "kms"):
        session.create_client(
            service,
            region_name="us-east-1",
            aws_access_key_id="offline",
            aws_secret_access_key="offline",
        )
    monkeypatch.undo()
    return listed


def test_first_clients_list_only_berths_service_directories(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    listed = _listed_during(monkeypatch, _berth_session())
    assert BOTOCORE_DATA not in listed, "botocore's data directory was listed"
    assert listed, "the loader looks in its services' directories"
    assert {p.name for p in listed} <= SERVICES
    assert all(p.parent in (BOTOCORE_DATA, AWS_DATA) for p in listed)


def test_botocores_own_loader_lists_every_service(monkeypatch: pytest.MonkeyPatch) -> None:
    """The contrast: what the restricted loader saves, so the test above means something."""
    session = botocore.session.Session()
    session.set_config_variable("data_path", str(AWS_DATA))
    listed = _listed_during(monkeypatch, session)
    assert BOTOCORE_DATA in listed
    assert len([p for p in listed if p.parent == BOTOCORE_DATA]) > 100


def test_the_loader_is_botocores_with_a_shorter_list() -> None:
    assert isinstance(models_loader(None), botocore.loaders.Loader)
    assert models_loader(None).search_paths[-1] == str(BOTOCORE_DATA)
    first, *_ = BerthModels(extra_search_paths=[str(AWS_DATA)]).search_paths
    assert first == str(AWS_DATA)  # AWS_DATA_PATH first, as botocore searches it


def test_importing_the_app_makes_no_session() -> None:
    """Lazily applied: nothing of botocore's data is read before the first request."""
    code = (
        "import sys, app\n"
        "from chalicelib import aws_session\n"
        "assert aws_session._session is None\n"
        "assert 'chalicelib.aws_models' not in sys.modules\n"
    )
    env = {**os.environ, "AWS_DATA_PATH": str(AWS_DATA)}
    done = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True
    )
    assert done.returncode == 0, done.stderr


def test_every_runtime_client_comes_from_the_one_session(
    aws: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    from chalicelib import aws_session
    from chalicelib.auth import aws as auth_aws
    from chalicelib.storage import aws, models, table_connection, transactions

    session = aws_session.session()
    assert isinstance(session.get_component("data_loader"), BerthModels)
    assert table_connection.connection().session is session
    assert transactions.connection() is table_connection.connection()
    for model in (models.TagItem, models.ManifestItem, models.RepositoryItem):
        assert model._get_connection().connection is table_connection.connection()

    makers: list[object] = []
    real_create = botocore.session.Session.create_client

    def create_client(self: botocore.session.Session, *args: Any, **kwargs: Any) -> Any:
        makers.append(self)
        return real_create(self, *args, **kwargs)

    monkeypatch.setattr(botocore.session.Session, "create_client", create_client)
    aws.reset()
    auth_aws.reset()
    try:
        aws.s3()
        auth_aws.client("sts")
    finally:
        aws.reset()
        auth_aws.reset()
    assert makers == [session, session]
