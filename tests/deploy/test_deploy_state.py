"""Chalice's record of a stage follows it to a second checkout (issue 18 §5): `berth deploy`
stores `deployed/<stage>.json` in the stack's bucket and fetches it when the checkout has
none, so another operator or a CI job updates the same function instead of making a second
one. The real `chalice deploy` does the same from a fresh checkout in
tests/deploy/test_real_chalice.py; here a stand-in reads and writes the record as Chalice
does, through the real staging of the app."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from berth.deploy.chalice_step import AppRelease, Deployed, staged_app
from berth.deploy.destroy import destroy
from berth.deploy.dry_run import plan
from berth.deploy.run import deploy
from berth.deploy.state import state_key
from berth.deploy.target import AwsTarget
from tests.deploy.motoserver import ACCOUNT, REGION
from tests.deploy.test_deploy import FakeChalice

BUCKET = f"berth-ci-{ACCOUNT}-{REGION}"


class RecordingChalice(FakeChalice):
    """`chalice deploy` as far as its record goes: it finds the record the staged app carries
    (none means: create), and leaves one listing what it deployed, with a serial number so a
    test can tell deploys apart."""

    def __init__(self, session: Any, records: Path) -> None:
        super().__init__(session)
        self.records = records
        self.found: list[dict[str, Any] | None] = []

    def deploy(self, release: AppRelease) -> Deployed:
        with staged_app(release, self.records, self.records / "packages") as app:
            record = app / ".chalice" / "deployed" / f"{release.stage}.json"
            before = json.loads(record.read_text()) if record.exists() else None
        self.found.append(before)
        serial = 1 + (before["serial"] if before else 0)
        self.records.mkdir(parents=True, exist_ok=True)
        name = f"berth-{release.stage}"
        after = {"serial": serial, "resources": [{"name": "api_handler", "lambda_arn": name}]}
        (self.records / f"{release.stage}.json").write_text(json.dumps(after))
        return super().deploy(release)

    def delete(self, stage: str, target: AwsTarget) -> None:
        super().delete(stage, target)
        assert json.loads((self.records / f"{stage}.json").read_text())["serial"] >= 1
        (self.records / f"{stage}.json").write_text(json.dumps({"resources": []}))


def stored(session: Any) -> dict[str, Any]:
    body = session.client("s3").get_object(Bucket=BUCKET, Key=state_key("ci"))["Body"].read()
    record: dict[str, Any] = json.loads(body)
    return record


def test_a_second_checkout_updates_the_same_stage(session: Any, tmp_path: Path) -> None:
    first, second = tmp_path / "first" / "deployed", tmp_path / "second" / "deployed"
    said: list[str] = []
    chalice = RecordingChalice(session, first)
    deploy("ci", session, chalice=chalice.deploy, records=first, say=said.append)
    assert chalice.found == [None]  # a first deploy: Chalice creates everything
    assert "  deployment record: none (the stage's function is created)" in said
    assert f"  deployment record stored: s3://{BUCKET}/{state_key('ci')}" in said
    assert stored(session)["serial"] == 1

    # Another checkout (no .chalice/deployed/): the dry run says where the record comes from,
    # the deploy fetches it, Chalice updates (serial 2), and the bucket holds the new one.
    said.clear()
    plan("ci", session, front_door="function-url", records=second, say=said.append)
    url = f"s3://{BUCKET}/{state_key('ci')}"
    assert f"  deployment record: {url} (fetched into {second / 'ci.json'})" in said
    assert not (second / "ci.json").exists()  # the dry run changes nothing
    said.clear()
    other = RecordingChalice(session, second)
    deploy("ci", session, chalice=other.deploy, records=second, say=said.append)
    assert other.found == [
        {"serial": 1, "resources": [{"name": "api_handler", "lambda_arn": "berth-ci"}]}
    ]
    assert f"  deployment record: {url} (fetched)" in said
    assert stored(session)["serial"] == 2
    functions = [f["FunctionName"] for f in session.client("lambda").list_functions()["Functions"]]
    assert functions.count("berth-ci") == 1

    # The first checkout's copy is now behind: the bucket's wins, and the dry run says so.
    said.clear()
    plan("ci", session, front_door="function-url", records=first, say=said.append)
    assert any(f"{url} (differs from {first / 'ci.json'}" in line for line in said), said
    deploy("ci", session, chalice=chalice.deploy, records=first, say=said.append)
    assert chalice.found[-1] == {**other.found[0], "serial": 2}
    assert f"  deployment record: {url} (replaced the local one, which differed)" in said
    assert stored(session)["serial"] == 3

    # A third checkout destroys the stage with the fetched record; the emptied record goes
    # back to the kept bucket, so the next deploy from anywhere creates afresh.
    third = tmp_path / "third" / "deployed"
    said.clear()
    destroy(
        "ci",
        session,
        chalice=RecordingChalice(session, third).delete,
        records=third,
        say=said.append,
    )
    assert f"berth destroy: deployment record: {url} (fetched)" in said
    assert stored(session) == {"resources": []}
