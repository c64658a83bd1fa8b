"""Deploy on push: when a tag of a repository moves, redeploy what runs it.

    ecs     UpdateService(forceNewDeployment): ECS pulls the tag from Berth again
            (with `repositoryCredentials`), so the service runs the new image.
    lambda  UpdateFunctionCode(ImageUri=<ECR repository>@<digest>): Lambda runs images only
            from ECR in its own region, so the image must be there (replicated into ECR);
            the function is pinned to the digest the tag moved to.

A trigger fires through the delivery queue like a webhook (chalicelib/events/deliver.py):
retried with backoff, logged, dead-lettered when its retries run out. The function may only
touch services and functions tagged `berth-deploy=<stage>` (berth/deploy/iam_policy.py)."""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass
from typing import Any

from pynamodb.attributes import BooleanAttribute, UnicodeAttribute, UTCDateTimeAttribute

from chalicelib.events.cached import Cached
from chalicelib.events.change import PUSH, ROLLBACK, TAG, Change
from chalicelib.events.records import Trigger
from chalicelib.oci.reference import check_name
from chalicelib.storage.clock import now
from chalicelib.storage.keys import TRIGGER_PREFIX, TRIGGERS_PARTITION, subscription_id, trigger_sk
from chalicelib.storage.models import _Item

KINDS = ("ecs", "lambda")
CACHE_SECONDS = 15
MAX_TRIGGERS = 100
_TAG = re.compile(r"[a-zA-Z0-9_][a-zA-Z0-9._-]{0,127}")
_NAME = re.compile(r"[A-Za-z0-9_./:-]{1,255}")
_ECR_URI = re.compile(
    r"\d{12}\.dkr\.ecr\.[a-z0-9-]+\.amazonaws\.com(\.cn)?/[a-z0-9]+(?:[._/-][a-z0-9]+)*"
)


class TriggerError(ValueError):
    pass


class NoSuchTrigger(LookupError):
    pass


class TriggerItem(_Item):
    """pk=TRIGGERS, sk=X#<id>: when `tag` of `repository` moves, redeploy the target."""

    repository = UnicodeAttribute()
    tag = UnicodeAttribute()
    kind = UnicodeAttribute()  # ecs | lambda
    cluster = UnicodeAttribute(null=True)  # ecs
    service = UnicodeAttribute(null=True)  # ecs
    function = UnicodeAttribute(null=True)  # lambda
    image_repository = UnicodeAttribute(null=True)  # lambda: the ECR repository URI
    enabled = BooleanAttribute(default=True)
    created_at = UTCDateTimeAttribute()
    created_by = UnicodeAttribute(null=True)


@dataclass(frozen=True, slots=True)
class Firing:
    """One trigger to run for one change: the digest the tag moved to."""

    trigger: TriggerItem
    change: Change
    tag: str
    digest: str


def id_of(item: TriggerItem) -> str:
    return subscription_id(item.sk)


def _required(value: str | None, what: str) -> str:
    if not value or _NAME.fullmatch(value) is None:
        raise TriggerError(f"{what} is required: letters, digits and ./:-_ (at most 255)")
    return value


def create(
    *,
    repository: str,
    tag: str,
    kind: str,
    cluster: str | None = None,
    service: str | None = None,
    function: str | None = None,
    image_repository: str | None = None,
    created_by: str | None = None,
) -> TriggerItem:
    try:
        check_name(repository)
    except Exception as error:
        raise TriggerError(str(error)) from None
    if _TAG.fullmatch(tag) is None:
        raise TriggerError(f"{tag[:80]!r} is not a tag")
    if kind not in KINDS:
        raise TriggerError(f"kind is one of {', '.join(KINDS)}")
    fields: dict[str, Any] = {}
    if kind == "ecs":
        fields = {
            "cluster": _required(cluster, "cluster"),
            "service": _required(service, "service"),
        }
    else:
        if not image_repository or _ECR_URI.fullmatch(image_repository) is None:
            raise TriggerError(
                "image repository is the ECR repository the image is replicated to: "
                "<account>.dkr.ecr.<region>.amazonaws.com/<name>"
            )
        fields = {"function": _required(function, "function"), "image_repository": image_repository}
    if len(list_all()) >= MAX_TRIGGERS:
        raise TriggerError(f"a registry has at most {MAX_TRIGGERS} triggers")
    item = TriggerItem(
        TRIGGERS_PARTITION,
        trigger_sk(secrets.token_hex(8)),
        repository=repository,
        tag=tag,
        kind=kind,
        enabled=True,
        created_at=now(),
        created_by=created_by,
        **fields,
    )
    item.save(condition=TriggerItem.sk.does_not_exist())
    forget()
    return item


def trigger_of(item: TriggerItem) -> Trigger:
    return Trigger(
        id_of(item),
        item.repository,
        item.tag,
        item.kind,
        item.cluster,
        item.service,
        item.function,
        item.image_repository,
        bool(item.enabled),
        item.created_at,
        item.created_by,
    )


def find(trigger_id: str) -> Trigger:
    """The trigger `trigger_id` (NoSuchTrigger if there is none), as the API shows it."""
    return trigger_of(get(trigger_id))


def listing() -> list[Trigger]:
    return [trigger_of(item) for item in list_all()]


def get(trigger_id: str) -> TriggerItem:
    try:
        return TriggerItem.get(TRIGGERS_PARTITION, trigger_sk(trigger_id), consistent_read=True)
    except TriggerItem.DoesNotExist:
        raise NoSuchTrigger(f"no trigger {trigger_id[:40]!r}") from None


def delete(trigger_id: str) -> None:
    get(trigger_id).delete()
    forget()


def list_all() -> list[TriggerItem]:
    return list(
        TriggerItem.query(
            TRIGGERS_PARTITION, TriggerItem.sk.startswith(TRIGGER_PREFIX), consistent_read=True
        )
    )


_subscriptions: Cached[TriggerItem] = Cached(list_all, CACHE_SECONDS)


def forget() -> None:
    _subscriptions.forget()


def firings(change: Change, clock: float | None = None) -> list[Firing]:
    """The triggers a change fires: a tag it moved to a digest (push, tag, rollback)."""
    if change.kind not in (PUSH, TAG, ROLLBACK):
        return []
    moved = {m.tag: m.after for m in change.tags if m.after}
    if not moved:
        return []
    return [
        Firing(item, change, item.tag, moved[item.tag])
        for item in _subscriptions.current(clock)
        if item.enabled and item.repository == change.repository and item.tag in moved
    ]


def run(item: TriggerItem, digest: str) -> str:
    """Redeploy; returns what was done. Raises the AWS error on failure (retried)."""
    from chalicelib.auth.aws import client

    if item.kind == "ecs":
        client("ecs").update_service(
            cluster=item.cluster, service=item.service, forceNewDeployment=True
        )
        return f"ECS service {item.cluster}/{item.service}: new deployment"
    uri = f"{item.image_repository}@{digest}"
    client("lambda").update_function_code(FunctionName=item.function, ImageUri=uri)
    return f"Lambda function {item.function}: image {uri}"
