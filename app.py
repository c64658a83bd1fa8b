"""Berth's routes. Every path under /v2 goes to one dispatcher (see chalicelib/api/router.py).

Repository names contain slashes, and neither `chalice local` nor `chalice.test.Client` match
`{proxy+}` over several segments, so the API is declared as routes of fixed depth
`/v2/{p1}` ... `/v2/{p1}/.../{pN}`; API Gateway needs one resource per depth.
"""

from chalice.app import Response

from chalicelib.api.application import BerthChalice
from chalicelib.api.router import MAX_DEPTH, METHODS, dispatch
from chalicelib.events.config import delivery_queue_arn, scan_queue_arn, stream_arn

# Chalice would take over the "berth" logger (level ERROR, a plain-text handler): keep ours.
app = BerthChalice(app_name="berth", configure_logs=False)
# Only octet-stream bodies are binary: adding */* or manifest types makes API Gateway answer
# 400 to requests without an Accept header (skopeo sends none on blob HEAD/GET).
app.api.binary_types = ["application/octet-stream"]


@app.route("/v2", methods=METHODS, content_types=["*/*"])
def v2_base() -> Response:
    return dispatch(app.current_request)


@app.route("/token", methods=["GET", "POST"], content_types=["*/*"])
def token() -> Response:
    from chalicelib.api.token import handle

    return handle(app.current_request)


# The web interface (chalicelib/web/): fixed paths, the repository and digest in the query.
@app.route("/ui", methods=["GET"])
def ui_index() -> Response:
    from chalicelib.web import handlers

    return handlers.index(app.current_request)


@app.route("/ui/repository", methods=["GET"])
def ui_repository() -> Response:
    from chalicelib.web import handlers

    return handlers.repository(app.current_request)


@app.route("/ui/image", methods=["GET"])
def ui_image() -> Response:
    from chalicelib.web import handlers

    return handlers.image(app.current_request)


@app.route("/ui/history", methods=["GET"])
def ui_history() -> Response:
    from chalicelib.web import handlers

    return handlers.history(app.current_request)


@app.route("/ui/rollback", methods=["POST"], content_types=["application/x-www-form-urlencoded"])
def ui_rollback() -> Response:
    from chalicelib.web import handlers

    return handlers.rollback(app.current_request)


@app.route("/ui/admin", methods=["GET"])
def ui_admin() -> Response:
    from chalicelib.web import admin

    return admin.people(app.current_request)


@app.route("/ui/admin", methods=["POST"], content_types=["application/x-www-form-urlencoded"])
def ui_admin_change() -> Response:
    from chalicelib.web import admin_actions

    return admin_actions.post(app.current_request)


@app.route("/ui/admin/principal", methods=["GET"])
def ui_admin_principal() -> Response:
    from chalicelib.web import admin

    return admin.principal(app.current_request)


@app.route("/ui/admin/webhooks", methods=["GET"])
def ui_admin_webhooks() -> Response:
    from chalicelib.web import admin_webhooks

    return admin_webhooks.webhooks(app.current_request)


@app.route(
    "/ui/admin/webhooks", methods=["POST"], content_types=["application/x-www-form-urlencoded"]
)
def ui_admin_webhooks_change() -> Response:
    from chalicelib.web import admin_webhook_actions

    return admin_webhook_actions.post(app.current_request)


@app.route("/ui/account", methods=["GET"])
def ui_account() -> Response:
    from chalicelib.web import account

    return account.account(app.current_request)


@app.route("/ui/account", methods=["POST"], content_types=["application/x-www-form-urlencoded"])
def ui_account_change() -> Response:
    from chalicelib.web import account

    return account.change(app.current_request)


@app.route("/ui/iam-link", methods=["POST"], content_types=["application/json"])
def ui_iam_link() -> Response:
    from chalicelib.web import iam_link

    return iam_link.create(app.current_request)


@app.route("/ui/link", methods=["GET"])
def ui_link() -> Response:
    from chalicelib.web import iam_link

    return iam_link.confirm(app.current_request)


@app.route("/ui/link", methods=["POST"], content_types=["application/x-www-form-urlencoded"])
def ui_link_sign_in() -> Response:
    from chalicelib.web import iam_link

    return iam_link.sign_in(app.current_request)


@app.route("/ui/admin/audit", methods=["GET"])
def ui_admin_audit() -> Response:
    from chalicelib.web import admin_audit

    return admin_audit.audit(app.current_request)


@app.route("/ui/activity", methods=["GET"])
def ui_activity() -> Response:
    from chalicelib.web import activity

    return activity.activity(app.current_request)


@app.route("/ui/pulls-chart", methods=["GET"])
def ui_pulls_chart() -> Response:
    from chalicelib.web import pulls_chart

    return pulls_chart.pulls_chart(app.current_request)


@app.route("/ui/settings", methods=["GET"])
def ui_settings() -> Response:
    from chalicelib.web import repository_settings

    return repository_settings.settings(app.current_request)


@app.route("/ui/settings", methods=["POST"], content_types=["application/x-www-form-urlencoded"])
def ui_settings_change() -> Response:
    from chalicelib.web import repository_settings

    return repository_settings.change(app.current_request)


@app.route("/ui/login", methods=["GET"])
def ui_login_form() -> Response:
    from chalicelib.web import handlers

    return handlers.login_form(app.current_request)


@app.route("/ui/login", methods=["POST"], content_types=["application/x-www-form-urlencoded"])
def ui_login() -> Response:
    from chalicelib.web import handlers

    return handlers.login(app.current_request)


@app.route("/ui/logout", methods=["POST"], content_types=["application/x-www-form-urlencoded"])
def ui_logout() -> Response:
    from chalicelib.web import handlers

    return handlers.logout(app.current_request)


@app.route("/ui/static/{filename}", methods=["GET"])
def ui_static(filename: str) -> Response:
    from chalicelib.web import handlers

    return handlers.static(app.current_request, filename)


def _route(depth: int) -> None:
    path = "/v2/" + "/".join(f"{{p{i}}}" for i in range(1, depth + 1))

    def v2_resource(**_segments: str) -> Response:
        return dispatch(app.current_request)

    v2_resource.__name__ = f"v2_depth_{depth}"
    app.route(path, methods=METHODS, content_types=["*/*"])(v2_resource)


for _depth in range(1, MAX_DEPTH + 1):
    _route(_depth)


@app.schedule("rate(1 hour)")
def collect_garbage(_event: object) -> None:
    """Hourly online garbage collection (chalicelib/gc/); `berth gc` runs it by hand."""
    from chalicelib.gc.collect import scheduled

    scheduled()


@app.schedule("rate(1 day)")
def apply_lifecycle(_event: object) -> None:
    """Daily lifecycle run (chalicelib/lifecycle/schedule.py): rules count in days; what it
    releases, the hourly collection reclaims. `berth lifecycle run` runs it by hand."""
    from chalicelib.lifecycle.schedule import scheduled

    scheduled()


@app.schedule("rate(6 hours)")
def sync_advisories(_event: object) -> None:
    """OSV's exports copied when their ETag changed, the advisory index rebuilt, and every
    stored image rescanned (chalicelib/scanner/osv_sync.py); `berth vulndb sync` runs it now.
    Its own timeout and memory (.chalice/config.json): a first Debian sync is large."""
    from chalicelib.scanner.osv_sync import scheduled

    scheduled()


@app.on_dynamodb_record(stream_arn=stream_arn(), batch_size=100)
def publish_events(event: object) -> None:
    """Committed changes become events: EventBridge and queued webhook deliveries
    (chalicelib/events/). Raising makes the stream hand the batch again: nothing is lost."""
    from chalicelib.events.publish import handle_records

    handle_records(event.to_dict()["Records"])  # type: ignore[attr-defined]


@app.on_sqs_message(queue_arn=delivery_queue_arn(), batch_size=1)
def deliver_webhooks(event: object) -> None:
    """One webhook attempt, trigger run or replication copy per message; a failure is queued
    again with backoff. Small memory; its 15 minutes are for replication's long copies."""
    from chalicelib.events.deliver import handle_messages

    context = app.lambda_context
    remaining = (
        (lambda: context.get_remaining_time_in_millis() / 1000) if context is not None else None
    )
    handle_messages((record.body for record in event), remaining=remaining)  # type: ignore[attr-defined]


@app.on_sqs_message(queue_arn=scan_queue_arn(), batch_size=1)
def run_scans(event: object) -> None:
    """Scans (on push, asked for, a rescan's pages) in a function of their own: Lambda's 15
    minutes and 2 GB (.chalice/config.json), which webhook deliveries do not need."""
    from chalicelib.scanner.scan_queue import handle_messages

    handle_messages(record.body for record in event)  # type: ignore[attr-defined]


@app.schedule("rate(1 hour)")
def redrive_replication(_event: object) -> None:
    """Copies whose retries ran out are queued again (chalicelib/replication/backfill.py)."""
    from chalicelib.replication.backfill import redrive_all

    redrive_all()
