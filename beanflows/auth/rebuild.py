"""Rebuild requests for the nightly's queue: one JSON file in VAR/requests/pending/.

The same format as `beanflows request-rebuild` (ops): {"source", "restate": [from, to] |
null, "by", "requested_at"}, named by the SHA-256 of its bytes, written atomically (a
temporary file in the same folder, then a rename), so the queue runner never reads half a
request and the same request filed twice is one file.
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
from datetime import UTC, date, datetime
from pathlib import Path


def request_rebuild(
    var_dir: Path,
    source: str,
    restate: tuple[str, str] | None,
    by: str,
    requested_at: datetime | None = None,
) -> Path:
    """File a rebuild request; returns its path. Dates are checked (YYYY-MM-DD, from <= to)."""
    if restate is not None:
        start, end = (date.fromisoformat(d) for d in restate)
        if start > end:
            raise ValueError("restate: from is after to")
        restate = (start.isoformat(), end.isoformat())
    at = (requested_at or datetime.now(UTC)).strftime("%Y-%m-%dT%H:%M:%SZ")
    doc = {"source": source, "restate": list(restate) if restate else None, "by": by,
           "requested_at": at}  # fmt: skip
    data = json.dumps(doc, sort_keys=True, separators=(",", ":")).encode() + b"\n"
    folder = var_dir / "requests" / "pending"
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / f"{hashlib.sha256(data).hexdigest()}.json"
    fd, tmp = tempfile.mkstemp(dir=folder, prefix=".tmp-", suffix=".json")
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return target
