"""S3 side of exports: a write-only stream that is a multipart upload, and presigned downloads.

The stream buffers one part (>= 5 MiB, S3's minimum for every part but the last) and uploads it as soon as it
is full, so memory stays at about two parts whatever the export's size. On any error the upload is aborted:
no incomplete upload is left behind (the bucket's lifecycle rule is only the safety net for a killed worker).

Integrity as AWS's own transfer manager (s3transfer) does it: the upload is created for CRC32, botocore sends
each part's CRC32, S3 refuses a part whose bytes do not match it, and the completion lists every part's CRC32,
so the object is assembled from exactly the parts that were checked and carries their composite checksum.
botocore adds a CRC32 to every part by default; an upload created without the algorithm leaves S3 to reconcile
part checksums it was not told about (and makes moto keep a second copy of the whole object to checksum it).
"""

from __future__ import annotations

from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import suppress
from types import TracebackType
from typing import Any

from aurion.errors import ServiceUnavailable
from aurion.exports.aws import client
from aurion.logs import logger
from aurion.settings import get_settings

CHECKSUM_ALGORITHM = "CRC32"
_PART_CHECKSUM = f"Checksum{CHECKSUM_ALGORITHM}"  # the member of S3's answer and of the completion's parts


def exports_bucket() -> str:
    bucket = get_settings().exports_bucket
    if not bucket:
        raise ServiceUnavailable("Exports are not configured (EXPORTS_BUCKET)")
    return bucket


class MultipartUpload:
    """A binary file-like object (write, flush, tell) whose bytes become one S3 object on `complete`."""

    def __init__(
        self,
        key: str,
        *,
        content_type: str,
        part_size: int,
        content_disposition: str | None = None,
        bucket: str | None = None,
    ) -> None:
        self.bucket = bucket or exports_bucket()
        self.key = key
        self.size = 0
        self._s3 = client("s3")
        self._part_size = part_size
        self._buffer = bytearray()
        self._parts: list[dict[str, Any]] = []
        # One part goes up while the next is filled: the COPY's rows keep coming instead of waiting on S3. One
        # at a time, so memory holds at most two parts and parts complete in order.
        self._sender = ThreadPoolExecutor(max_workers=1, thread_name_prefix="export-upload")
        self._sending: Future[None] | None = None
        self._numbered = 0
        extra = {"ContentDisposition": content_disposition} if content_disposition else {}
        created = self._s3.create_multipart_upload(
            Bucket=self.bucket, Key=key, ContentType=content_type, ChecksumAlgorithm=CHECKSUM_ALGORITHM, **extra
        )
        self._upload_id: str | None = created["UploadId"]

    # -- file-like interface (csv, zipfile and openpyxl write through it) --

    def writable(self) -> bool:
        return True

    def write(self, data: bytes | bytearray | memoryview) -> int:
        if self._upload_id is None:
            raise ValueError("write to a finished upload")
        self._buffer += data
        self.size += len(data)
        while len(self._buffer) >= self._part_size:
            # One copy of the part (a bytearray slice would be a second): the buffer is reused for the next.
            with memoryview(self._buffer) as view:
                part = bytes(view[: self._part_size])
            del self._buffer[: self._part_size]
            self._upload_part(part)
        return len(data)

    def tell(self) -> int:
        return self.size

    def flush(self) -> None:
        """Parts go up when full; flushing early would create parts smaller than S3 accepts."""

    # -- lifecycle --

    def _upload_part(self, body: bytes) -> None:
        """Queue the part behind the one in flight; a failed part raises here, at the next part or at complete."""
        self._wait_for_part()
        number = self._numbered + 1
        self._numbered = number
        self._sending = self._sender.submit(self._send_part, number, body)

    def _send_part(self, number: int, body: bytes) -> None:
        response = self._s3.upload_part(
            Bucket=self.bucket,
            Key=self.key,
            UploadId=self._upload_id,
            PartNumber=number,
            Body=body,
            ChecksumAlgorithm=CHECKSUM_ALGORITHM,
        )
        part = {"ETag": response["ETag"], "PartNumber": number}
        # An S3-compatible store that ignores checksums returns none, and is completed without (as s3transfer does).
        if _PART_CHECKSUM in response:
            part[_PART_CHECKSUM] = response[_PART_CHECKSUM]
        self._parts.append(part)

    def _wait_for_part(self) -> None:
        sending, self._sending = self._sending, None
        if sending is not None:
            sending.result()

    def complete(self) -> int:
        """Upload the last part and assemble the object; returns its size in bytes."""
        if self._buffer or not self._numbered:
            self._upload_part(bytes(self._buffer))
            self._buffer.clear()
        self._wait_for_part()
        self._sender.shutdown()
        self._s3.complete_multipart_upload(
            Bucket=self.bucket, Key=self.key, UploadId=self._upload_id, MultipartUpload={"Parts": self._parts}
        )
        self._upload_id = None
        return self.size

    def abort(self) -> None:
        if self._upload_id is None:
            return
        upload_id, self._upload_id = self._upload_id, None
        self._buffer.clear()
        # A part still in flight would otherwise land after the abort and keep the upload's storage alive.
        with suppress(Exception):
            self._wait_for_part()
        self._sender.shutdown()
        try:
            self._s3.abort_multipart_upload(Bucket=self.bucket, Key=self.key, UploadId=upload_id)
        except Exception as exc:  # the lifecycle rule removes it within a day; the original error matters more
            logger.warning("could not abort multipart upload", extra={"error_type": type(exc).__name__})

    def __enter__(self) -> MultipartUpload:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        if exc_type is not None:
            self.abort()


def presigned_download(key: str, expires_in: int) -> str:
    """A GET URL for the object, valid expires_in seconds (and no longer than the signing session)."""
    url: str = client("s3").generate_presigned_url(
        "get_object", Params={"Bucket": exports_bucket(), "Key": key}, ExpiresIn=expires_in
    )
    return url
