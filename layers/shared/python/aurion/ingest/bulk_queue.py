"""The bulk_import function's work: S3 notifications (through the import queue) of files to load.

Each SQS message is an S3 event notification (`{"Records": [{"eventName": "ObjectCreated:Put", "s3": {...}}]}`,
or S3's one-off `s3:TestEvent`). A created object under `imports/<tenant_id>/<import_id>/<name>` is loaded by
aurion.ingest.bulk for the tenant its key names. What is reported as failed, so SQS delivers it again (and after
maxReceiveCount keeps it in the dead-letter queue, whose alarm fires):
- a file whose tenant does not exist yet (it waits, like live events of an unknown tenant);
- a load interrupted by the system (database unavailable, the function's timeout): the next delivery resumes
  from the file's checkpoint.
Acknowledged: a loaded file (whatever its rejected lines), a failed file (unreadable: retrying cannot mend it),
a key outside the import layout (logged with the reason, never loaded), an object gone before it was read.
Logs carry ids, counts and reasons, never a line of a file.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any
from urllib.parse import unquote_plus
from uuid import UUID

from aurion.db import Database
from aurion.ingest.bulk import ImportFile, load_file
from aurion.ingest.bulk_csv import file_lines
from aurion.logs import logger
from aurion.settings import get_settings

IMPORT_PREFIX = "imports/"
_KEY = re.compile(r"^imports/([^/]+)/([^/]+)/(.+)$")
_clients: dict[str | None, Any] = {}


class NotAnImport(ValueError):
    """A key outside imports/<tenant_id>/<import_id>/<name>."""


@dataclass(frozen=True)
class ObjectRef:
    bucket: str
    key: str


def import_of(key: str, etag: str) -> ImportFile:
    """The import a key belongs to: its tenant and import are the key's, whatever the file holds."""
    match = _KEY.match(key)
    if match is None:
        raise NotAnImport("key outside imports/<tenant_id>/<import_id>/<name>")
    tenant, import_id, name = match.groups()
    try:
        tenant, import_id = str(UUID(tenant)), str(UUID(import_id))
    except ValueError as exc:
        raise NotAnImport("tenant_id and import_id of the key must be UUIDs") from exc
    return ImportFile(tenant_id=tenant, import_id=import_id, file_name=name, etag=etag.strip('"'))


def objects_of(body: str) -> list[ObjectRef]:
    """The created objects an S3 notification names (none for S3's test event or another event type)."""
    notification = json.loads(body)
    records = notification.get("Records") if isinstance(notification, dict) else None
    found = []
    for record in records or []:
        if not str(record.get("eventName", "")).startswith("ObjectCreated:"):
            continue
        s3 = record["s3"]
        # S3 sends keys URL-encoded (a space as '+').
        found.append(ObjectRef(s3["bucket"]["name"], unquote_plus(s3["object"]["key"])))
    return found


def s3_client() -> Any:
    endpoint = get_settings().aws_endpoint_url
    if endpoint not in _clients:
        import boto3
        from botocore.config import Config

        config = Config(s3={"addressing_style": "path" if endpoint else "auto"}, retries={"mode": "standard"})
        _clients[endpoint] = boto3.client("s3", endpoint_url=endpoint, config=config)
    return _clients[endpoint]


def reset_clients() -> None:
    _clients.clear()


def load_object(db: Database, ref: ObjectRef) -> None:
    """Load one object of the import bucket (raises what should make the message come back)."""
    try:
        import_of(ref.key, "")
    except NotAnImport as exc:
        logger.warning("import object ignored", extra={"reason": str(exc)})
        return
    client = s3_client()
    try:
        response = client.get_object(Bucket=ref.bucket, Key=ref.key)
    except client.exceptions.NoSuchKey:
        logger.warning("import object gone before it was read", extra={"reason": "NoSuchKey"})
        return
    file = import_of(ref.key, str(response.get("ETag") or ""))
    body = response["Body"]
    try:
        numbered, first_line = file_lines(body, file.file_name)
        load_file(db, file, numbered, first_line=first_line)
    finally:
        body.close()
