"""Export Analytics (v1), admin roles only: create, list, read, cancel, delete, download; the export schedules;
the export destinations (e-mail, signed webhooks) and their delivery log; and the status of bulk imports (data
in, the same admins)."""

from __future__ import annotations

from typing import Annotated, Any

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.openapi.params import Body, Header, Query
from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.utilities.typing import LambdaContext

from aurion.auth.roles import EXPORT_ROLES
from aurion.exports.destinations import CREATED_RESPONSES as DESTINATION_CREATED_RESPONSES
from aurion.exports.destinations import DELETED_RESPONSES as DESTINATION_DELETED_RESPONSES
from aurion.exports.destinations import VERIFY_RESPONSES as DESTINATION_VERIFY_RESPONSES
from aurion.exports.destinations import (
    create_destination,
    delete_destination,
    enable_destination,
    get_destination,
    list_deliveries,
    list_destinations,
    verify_destination,
)
from aurion.exports.download_links import LINK_RESPONSES, open_link
from aurion.exports.manage import CANCEL_RESPONSES, DELETE_RESPONSES, cancel_export, delete_export
from aurion.exports.requests import DOWNLOAD_RESPONSES, create_export, download_export, get_export, list_exports
from aurion.exports.schedules import (
    CREATED_RESPONSES,
    DELETED_RESPONSES,
    create_schedule,
    delete_schedule,
    get_schedule,
    list_schedules,
    update_schedule,
)
from aurion.http import create_app, current_caller
from aurion.ingest.import_status import get_import, list_imports
from aurion.logs import logger
from aurion.models.destinations import (
    DeliveryList,
    Destination,
    DestinationCreate,
    DestinationCreated,
    DestinationList,
    DestinationVerify,
)
from aurion.models.exports import (
    ExportCreated,
    ExportItem,
    ExportList,
    ExportRequest,
    ExportSchedule,
    ExportScheduleList,
    ScheduleCreate,
    ScheduleUpdate,
)
from aurion.models.imports import ImportDetail, ImportList
from aurion.tracing import capture_handler

app = create_app(roles=EXPORT_ROLES)
BASE = "/api/v1/analytics"


IdempotencyKey = Annotated[
    str | None,
    Header(alias="Idempotency-Key", description="Repeat a request with the same key to get the same export back"),
]


@app.post(f"{BASE}/export")
def create(body: ExportRequest, idempotency_key: IdempotencyKey = None) -> ExportCreated:
    return create_export(current_caller(app), body, idempotency_key=idempotency_key)


@app.get(f"{BASE}/exports")
def recent() -> ExportList:
    return list_exports(current_caller(app))


@app.get(f"{BASE}/exports/<export_id>")
def one_export(export_id: str) -> ExportItem:
    return get_export(current_caller(app), export_id)


@app.post(f"{BASE}/exports/<export_id>/cancel", responses=CANCEL_RESPONSES)
def cancel(export_id: str) -> ExportItem:
    return cancel_export(current_caller(app), export_id)


@app.delete(f"{BASE}/exports/<export_id>", responses=DELETE_RESPONSES)
def delete(export_id: str) -> Response[Any]:
    return delete_export(current_caller(app), export_id)


@app.get(f"{BASE}/export/<export_id>/download", responses=DOWNLOAD_RESPONSES)
def download(export_id: str) -> Response[Any]:
    return download_export(current_caller(app), export_id, accept=app.current_event.headers.get("Accept"))


LinkToken = Annotated[str, Query(description="The token of the delivered link (e-mail, webhook download_url)")]


# No authorizer (template.yaml): the token is the credential, for whoever received the e-mail or the webhook.
@app.get(f"{BASE}/export/<export_id>/link", responses=LINK_RESPONSES)
def delivered_link(export_id: str, token: LinkToken = "") -> Response[Any]:
    request_id = (app.current_event.raw_event.get("requestContext") or {}).get("requestId")
    return open_link(export_id, token, request_id=request_id)


@app.post(f"{BASE}/export-schedules", responses=CREATED_RESPONSES)
def new_schedule(body: ScheduleCreate) -> Response[ExportSchedule]:
    return create_schedule(current_caller(app), body)


@app.get(f"{BASE}/export-schedules")
def schedules() -> ExportScheduleList:
    return list_schedules(current_caller(app))


@app.get(f"{BASE}/export-schedules/<schedule_id>")
def schedule(schedule_id: str) -> ExportSchedule:
    return get_schedule(current_caller(app), schedule_id)


@app.patch(f"{BASE}/export-schedules/<schedule_id>")
def change_schedule(schedule_id: str, body: ScheduleUpdate) -> ExportSchedule:
    return update_schedule(current_caller(app), schedule_id, body)


@app.delete(f"{BASE}/export-schedules/<schedule_id>", responses=DELETED_RESPONSES)
def remove_schedule(schedule_id: str) -> Response[Any]:
    return delete_schedule(current_caller(app), schedule_id)


@app.post(f"{BASE}/export-destinations", responses=DESTINATION_CREATED_RESPONSES)
def new_destination(body: Annotated[DestinationCreate, Body()]) -> Response[DestinationCreated]:
    return create_destination(current_caller(app), body)


@app.get(f"{BASE}/export-destinations")
def destinations() -> DestinationList:
    return list_destinations(current_caller(app))


@app.get(f"{BASE}/export-destinations/<destination_id>")
def destination(destination_id: str) -> Destination:
    return get_destination(current_caller(app), destination_id)


@app.post(f"{BASE}/export-destinations/<destination_id>/verify", responses=DESTINATION_VERIFY_RESPONSES)
def verify(destination_id: str, body: DestinationVerify) -> Destination:
    return verify_destination(current_caller(app), destination_id, body)


@app.post(f"{BASE}/export-destinations/<destination_id>/enable")
def enable(destination_id: str) -> Destination:
    return enable_destination(current_caller(app), destination_id)


@app.delete(f"{BASE}/export-destinations/<destination_id>", responses=DESTINATION_DELETED_RESPONSES)
def remove_destination(destination_id: str) -> Response[Any]:
    return delete_destination(current_caller(app), destination_id)


@app.get(f"{BASE}/export-destinations/<destination_id>/deliveries")
def deliveries(destination_id: str) -> DeliveryList:
    return list_deliveries(current_caller(app), destination_id)


@app.get(f"{BASE}/imports")
def imports() -> ImportList:
    return list_imports(current_caller(app))


@app.get(f"{BASE}/imports/<import_id>")
def import_status(import_id: str) -> ImportDetail:
    return get_import(current_caller(app), import_id)


@capture_handler
@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_REST, clear_state=True)
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return app.resolve(event, context)
