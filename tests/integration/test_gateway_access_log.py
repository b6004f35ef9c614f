"""The local gateway's access log shows a path with its phone numbers and emails redacted (issue 13).

A path segment is whatever a client typed (`/api-keys/+33612345678`, an email in place of an id): the log line
is decoded and redacted like every answer, never written verbatim.
"""

from __future__ import annotations

import logging
from urllib.parse import quote

from hypothesis import HealthCheck, given, settings

from local.gateway import Gateway
from tests.support.database import REPO
from tests.support.pii_shapes import UNIT_SETTINGS, free_texts, leaks

KEYS = "/api/v2/analytics/api-keys"


def test_a_number_or_an_email_in_a_path_is_redacted_in_the_access_log(app_env, caplog):
    # Given requests whose paths hold a phone number and an email, percent-encoded or not
    gateway = Gateway(REPO / "template.yaml", REPO)
    caplog.set_level(logging.INFO, logger="local.gateway")
    for path in (f"{KEYS}/%2B33612345678", f"{KEYS}/06%20%2012%2034%2056%2078", f"{KEYS}/jane.doe%40example.com",
                 "/no/such/route/0612345678"):  # fmt: skip
        gateway.invoke("GET", path, {}, None)
    # Then the access log names each request, with the personal data redacted
    lines = [record.getMessage() for record in caplog.records if record.name == "local.gateway"]
    assert len(lines) == 4
    assert all(line.startswith("GET ") for line in lines)
    logged = "\n".join(lines)
    assert "***-***-5678" in logged
    assert "j***@example.com" in logged
    for raw in ("33612345678", "0612345678", "06  12", "jane.doe", "%40"):
        assert raw not in logged


@settings(UNIT_SETTINGS, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(free_texts())
def test_no_generated_number_or_email_in_a_path_reaches_the_access_log(app_env, plants):
    # Given a path whose last segment is free text with numbers and emails in generated shapes
    gateway = Gateway(REPO / "template.yaml", REPO)
    records: list[logging.LogRecord] = []
    handler = logging.Handler()
    handler.emit = records.append  # type: ignore[method-assign]
    logger = logging.getLogger("local.gateway")
    logger.addHandler(handler)
    level, logger.level = logger.level, logging.INFO
    try:
        gateway.invoke("GET", f"{KEYS}/{quote(plants.text, safe='')}", {}, None)
    finally:
        logger.removeHandler(handler)
        logger.setLevel(level)
    # Then the access log line holds none of it
    assert records
    assert [found for record in records for found in leaks(record.getMessage(), plants, masked_here=False)] == []
