"""API-key management (admin roles only): the tenant's opt-in switch, create, list and revoke keys."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.utilities.typing import LambdaContext

from aurion.api_keys.management import (
    ADMIN_ROLES,
    CREATE_RESPONSES,
    REVOKE_RESPONSES,
    create_key,
    get_access,
    list_keys,
    revoke_key,
    set_access,
)
from aurion.http import create_app, current_caller
from aurion.logs import logger
from aurion.models.api_keys import ApiKeyAccess, ApiKeyAccessUpdate, ApiKeyCreate, ApiKeyCreated, ApiKeyList
from aurion.tracing import capture_handler

app = create_app(roles=ADMIN_ROLES)
BASE = "/api/v2/analytics/api-keys"


@app.get(f"{BASE}/access")
def access() -> ApiKeyAccess:
    return get_access(current_caller(app))


@app.put(f"{BASE}/access")
def change_access(body: ApiKeyAccessUpdate) -> ApiKeyAccess:
    return set_access(current_caller(app), body)


@app.post(BASE, responses=CREATE_RESPONSES)
def create(body: ApiKeyCreate) -> Response[ApiKeyCreated]:
    return create_key(current_caller(app), body)


@app.get(BASE)
def keys() -> ApiKeyList:
    return list_keys(current_caller(app))


@app.delete(f"{BASE}/<key_id>", responses=REVOKE_RESPONSES)
def revoke(key_id: str) -> Response[Any]:
    return revoke_key(current_caller(app), key_id)


@capture_handler
@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_REST, clear_state=True)
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return app.resolve(event, context)
