"""Bulk import (SQS, fed by the import bucket's notifications): history files into PostgreSQL, resumable."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord
from aws_lambda_powertools.utilities.typing import LambdaContext

from aurion.db import get_database
from aurion.ingest.bulk_queue import load_object, objects_of
from aurion.logs import logger
from aurion.tracing import capture_handler

_processor = BatchProcessor(event_type=EventType.SQS, raise_on_entire_batch_failure=False)


def record_handler(record: SQSRecord) -> None:
    # An exception reports the message as failed: SQS delivers it again, and the load resumes from its checkpoint.
    for ref in objects_of(record.body):
        load_object(get_database(), ref)


@capture_handler
@logger.inject_lambda_context(clear_state=True)
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return dict(process_partial_response(event, record_handler, _processor, context))
