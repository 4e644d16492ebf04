"""The R2 target: an S3-compatible bucket reached with boto3.

Everything that speaks to the bucket is here (client settings R2 accepts, listings,
conditional writes, batch deletes), so another target would be one more module like this.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
from dataclasses import dataclass
from datetime import UTC
from typing import Any

import boto3
from botocore.config import Config
from botocore.exceptions import ClientError

from beanflows.publish.content import POINTER
from beanflows.publish.plan import RemoteObject

POINTER_KEY = "live.json"
CONFLICT_CODES = {"PreconditionFailed", "ConditionalRequestConflict", "412", "409"}


class PublishError(Exception):
    """A failure to report in one clear line (exit code 1)."""


class PointerConflict(PublishError):
    """Someone else changed an object we meant to create or replace (exit code 3)."""


@dataclass
class Target:
    """A bucket plus a key prefix ('' or ending in '/')."""

    client: Any
    bucket: str
    prefix: str

    def key(self, rel: str) -> str:
        return f"{self.prefix}{rel}"


def normalise_prefix(prefix: str | None) -> str:
    """'' or 'a/b/' whatever the operator typed ('/a/b', 'a/b', 'a/b/')."""
    prefix = (prefix or "").strip().strip("/")
    return f"{prefix}/" if prefix else ""


def make_client(endpoint_url: str, max_connections: int = 10) -> Any:
    """An S3 client for R2: region auto, checksums only when required, no EC2 probing.

    Credentials come from the standard AWS environment variables (or profile); without
    them boto3 would fall back to the EC2 metadata address, which hangs off-cloud.
    """
    os.environ.setdefault("AWS_EC2_METADATA_DISABLED", "true")
    session = boto3.session.Session()
    if session.get_credentials() is None:
        raise PublishError(
            "no credentials: set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY "
            "(for R2, an API token's access key id and secret)"
        )
    config = Config(
        region_name="auto",
        signature_version="s3v4",
        request_checksum_calculation="when_required",
        response_checksum_validation="when_required",
        retries={"max_attempts": 5, "mode": "standard"},
        max_pool_connections=max_connections,
        connect_timeout=10,
        read_timeout=120,
        s3={"addressing_style": "path"},
    )
    client = session.client("s3", endpoint_url=endpoint_url, config=config)
    client.meta.events.register("before-sign.s3.DeleteObjects", add_content_md5)
    return client


def add_content_md5(request: Any, **_: Any) -> None:
    """Send Content-MD5 with DeleteObjects, as S3 used to require.

    boto3 >= 1.36 sends a CRC32 checksum instead; S3-compatible stores that predate that
    change refuse the request (MissingContentMD5). Both headers together satisfy either kind.
    """
    body = request.body
    if isinstance(body, str):
        body = body.encode()
    if isinstance(body, bytes) and "Content-MD5" not in request.headers:
        digest = hashlib.md5(body, usedforsecurity=False).digest()
        request.headers["Content-MD5"] = base64.b64encode(digest).decode()


def error_code(exc: ClientError) -> str:
    err = exc.response.get("Error", {})
    status = exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode")
    return str(err.get("Code") or status)


def is_conflict(exc: ClientError) -> bool:
    status = exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode")
    return error_code(exc) in CONFLICT_CODES or status in (409, 412)


def is_missing(exc: ClientError) -> bool:
    status = exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode")
    return error_code(exc) in {"NoSuchKey", "404", "NotFound"} or status == 404


def list_objects(target: Target, under: str) -> dict[str, RemoteObject]:
    """Objects under `<prefix><under>`, keyed by the rest of their key."""
    start = target.key(under)
    found: dict[str, RemoteObject] = {}
    pages = target.client.get_paginator("list_objects_v2").paginate(
        Bucket=target.bucket, Prefix=start
    )
    for page in pages:
        for item in page.get("Contents", []):
            modified = item["LastModified"].astimezone(UTC)
            found[item["Key"][len(start) :]] = RemoteObject(item["Size"], modified)
    return found


def get_json(target: Target, rel: str) -> tuple[dict | None, str | None]:
    """A JSON object and its ETag, or (None, None) when the key does not exist."""
    try:
        resp = target.client.get_object(Bucket=target.bucket, Key=target.key(rel))
    except ClientError as exc:
        if is_missing(exc):
            return None, None
        raise
    body = resp["Body"].read()
    try:
        data = json.loads(body)
    except ValueError as exc:
        raise PublishError(f"{target.key(rel)} is not valid JSON: {exc}") from exc
    return data, resp["ETag"]


def put_json(
    target: Target,
    rel: str,
    data: dict,
    cache_control: str,
    if_none_match: bool = False,
    if_match: str | None = None,
) -> str:
    """Write a small JSON object, optionally conditional; returns the new ETag.

    A failed condition raises PointerConflict: the caller knows whether that means
    'another publish won' (pointer) or 'this release already exists' (manifest).
    """
    extra: dict[str, str] = {}
    if if_none_match:
        extra["IfNoneMatch"] = "*"
    if if_match:
        extra["IfMatch"] = if_match
    body = json.dumps(data, indent=1, sort_keys=True).encode() + b"\n"
    try:
        resp = target.client.put_object(
            Bucket=target.bucket,
            Key=target.key(rel),
            Body=body,
            ContentType="application/json; charset=utf-8",
            CacheControl=cache_control,
            **extra,
        )
    except ClientError as exc:
        if is_conflict(exc):
            raise PointerConflict(
                f"{target.key(rel)} changed meanwhile ({error_code(exc)})"
            ) from exc
        raise
    return resp["ETag"]


def put_pointer(target: Target, pointer: dict, etag: str | None) -> str:
    """Switch live.json: If-Match the ETag we read, or If-None-Match when there was none."""
    return put_json(
        target, POINTER_KEY, pointer, POINTER, if_none_match=etag is None, if_match=etag
    )


def put_file(target: Target, rel: str, body: bytes, headers: dict, sha256: str) -> None:
    """Upload one object with its headers and its sha256 in user metadata."""
    extra = {"ContentEncoding": headers["content_encoding"]} if headers["content_encoding"] else {}
    target.client.put_object(
        Bucket=target.bucket,
        Key=target.key(rel),
        Body=body,
        ContentType=headers["content_type"],
        CacheControl=headers["cache_control"],
        Metadata={"sha256": sha256},
        **extra,
    )


def delete_keys(target: Target, rels: list[str]) -> int:
    """Delete objects in batches of 1000; returns how many were deleted."""
    done = 0
    for start in range(0, len(rels), 1000):
        batch = rels[start : start + 1000]
        resp = target.client.delete_objects(
            Bucket=target.bucket,
            Delete={"Objects": [{"Key": target.key(r)} for r in batch], "Quiet": True},
        )
        errors = resp.get("Errors", [])
        if errors:
            first = errors[0]
            raise PublishError(f"delete failed for {first.get('Key')}: {first.get('Message')}")
        done += len(batch)
    return done
