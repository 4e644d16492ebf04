"""Content sniffing: refuse what is obviously not the file we asked for.

Upstream servers answer errors with status 200 and an HTML page, send empty bodies, or cut
downloads short. These checks run before anything is stored as good data.
"""

from __future__ import annotations

import io
import json
import zipfile
import zlib

from ingest.errors import SourceError

HTML_MARKERS = (b"<!doctype html", b"<html", b"<head", b"<body", b"<?xml", b"<title")
OLE2_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
BOM = b"\xef\xbb\xbf"
TEXT_FORMATS = ("csv", "text", "json")
# What a file's extension says its format is (files imported by name or folder, not by content).
EXTENSIONS = {
    ".zip": "zip", ".xlsx": "xlsx", ".xls": "xls", ".csv": "csv", ".txt": "text", ".json": "json",
}  # fmt: skip


def payload(data: bytes, fmt: str) -> bytes:
    """The bytes a parser reads: a text file without its UTF-8 byte-order mark.

    Excel and Windows tools save CSV/TXT with a BOM; upstream sometimes does too. It is not
    content, so every source accepts it, in one place. The raw archive keeps the file as is.
    """
    return data[len(BOM) :] if fmt in TEXT_FORMATS and data.startswith(BOM) else data


def looks_like_html(data: bytes) -> bool:
    """True when the body starts like an HTML/XML page (an error page served as 200)."""
    head = data[:512].lstrip(BOM + b" \t\r\n").lower()
    return head.startswith(HTML_MARKERS)


def _local_headers(zf: zipfile.ZipFile) -> None:
    """Every member's local header is where the central directory says (a cut or spliced
    file fails here). The members' data is not inflated: a `zip` source reads each member it
    uses in full, and zipfile checks its CRC then (`read_member`), so a 150 MB CSV is
    decompressed once, not twice."""
    for info in zf.infolist():
        zf.open(info).close()


def read_member(source: str, file: str, zf: zipfile.ZipFile, member: str) -> bytes:
    """The bytes of one member of a `zip` file, CRC-checked; a corrupt member is a
    SourceError naming the file (sniffing only checked the zip's structure)."""
    try:
        return zf.read(member)
    except (zipfile.BadZipFile, zlib.error, EOFError, OSError) as exc:
        raise SourceError(source, file, f"truncated or corrupt zip: {exc}") from exc


def check(source: str, file: str, data: bytes, fmt: str) -> None:
    """Raise SourceError unless `data` plausibly is a complete file of format `fmt`.

    fmt is one of: zip, xlsx (a zip too), xls (OLE2), csv, text, json. A text file's UTF-8
    BOM is accepted (see `payload`); a file holding nothing but a BOM is empty. An xlsx's
    members are all CRC-checked here; a zip's when its source reads them (`read_member`).
    """
    data = payload(data, fmt)
    if not data or data.isspace():
        raise SourceError(
            source, file, "empty body" if not data else "blank body (whitespace only)"
        )
    if looks_like_html(data):
        raise SourceError(source, file, f"an HTML page was served instead of {fmt}")
    if fmt in ("zip", "xlsx"):
        if not data.startswith(b"PK"):
            raise SourceError(source, file, f"not a {fmt} archive (bad magic bytes)")
        try:
            with zipfile.ZipFile(io.BytesIO(data)) as zf:
                bad = zf.testzip() if fmt == "xlsx" else _local_headers(zf)
        except (zipfile.BadZipFile, EOFError, OSError) as exc:
            raise SourceError(source, file, f"truncated or corrupt {fmt}: {exc}") from exc
        if bad is not None:
            raise SourceError(source, file, f"corrupt member {bad!r} in {fmt}")
    elif fmt == "xls":
        if not data.startswith(OLE2_MAGIC):
            raise SourceError(source, file, "not an OLE2 .xls workbook (bad magic bytes)")
    elif fmt == "json":
        try:
            json.loads(data)
        except (UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise SourceError(source, file, f"invalid JSON: {exc}") from exc
    elif fmt in ("csv", "text"):
        if b"\x00" in data[:4096]:
            raise SourceError(source, file, "binary content where text was expected")
    else:
        raise ValueError(f"unknown format {fmt!r}")


def decode_text(source: str, file: str, data: bytes) -> str:
    """Decode UTF-8 (with or without BOM); a non-UTF-8 byte is an error naming its offset."""
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise SourceError(
            source, file, f"non-UTF-8 byte 0x{data[exc.start]:02x} at offset {exc.start}", line
        ) from exc
