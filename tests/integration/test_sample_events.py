"""The sample events in events/ (the ones `sam local invoke -e` uses) run through their handlers."""

from __future__ import annotations

import json

import pytest

from tests.support.api import FakeLambdaContext
from tests.support.custom_resource import answer_sample
from tests.support.database import APP_PASSWORD, REPO
from tests.support.rollup_queue import mocked_rollup_queue

PLACEHOLDER_TENANT = "00000000-0000-0000-0000-000000000000"
EVENTS = sorted((REPO / "events").glob("*.json"))
FUNCTIONS = sorted(path.name for path in (REPO / "functions").iterdir() if (path / "app.py").exists())


def function_for(event_file: str) -> str:
    """events/<function>[_<route>].json: the longest function name the file name starts with."""
    matches = [name for name in FUNCTIONS if event_file == f"{name}.json" or event_file.startswith(f"{name}_")]
    assert matches, f"{event_file} names no function in functions/"
    return max(matches, key=len)


def test_every_function_with_routes_or_a_trigger_has_a_sample_event():
    covered = {function_for(path.name) for path in EVENTS}
    assert covered == set(FUNCTIONS)


@pytest.mark.parametrize("event_path", EVENTS, ids=[path.name for path in EVENTS])
def test_the_sample_event_invokes_its_handler_successfully(event_path, functions, build, app_env, monkeypatch):
    if function_for(event_path.name).startswith("aggregator"):
        # The rollup dispatcher and worker: their queue in moto; what the dispatcher plans for the session's other
        # tenants is undone after
        queue = mocked_rollup_queue(monkeypatch)
        next(queue)
        try:
            _invokes(event_path, functions, build, app_env)
        finally:
            app_env.owner.run("DELETE FROM rollup_parts")
            queue.close()
        return
    _invokes(event_path, functions, build, app_env)


def _invokes(event_path, functions, build, app_env) -> None:
    # Given the demo tenant's id and a real token in place of the placeholders
    tenant = build.tenant()
    token = app_env.token("tenant_admin", str(tenant))
    text = event_path.read_text().replace(PLACEHOLDER_TENANT, str(tenant)).replace("<token>", token)
    event = json.loads(text)
    # When the function it belongs to handles it
    if "ResponseURL" in event:
        # A CloudFormation custom resource answers by PUT to the ResponseURL: the sample's secrets are made in moto
        # and its answer received locally; then it succeeds
        answer = answer_sample(functions(function_for(event_path.name)), event, app_env.database.admin_url,
                               APP_PASSWORD)  # fmt: skip
        assert answer["Status"] == "SUCCESS", answer["Reason"]
        return
    result = functions(function_for(event_path.name)).lambda_handler(event, FakeLambdaContext())
    # Then it succeeds: an Allow policy for the authorizer, a 2xx for API routes
    if event.get("type") == "REQUEST":
        assert result["policyDocument"]["Statement"][0]["Effect"] == "Allow"
    elif "statusCode" in result:
        assert 200 <= result["statusCode"] < 300, result.get("body")
