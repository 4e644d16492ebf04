"""The two third-party forms of the certified-stocks series: a semicolon CSV and a per-port JSON.

series_csv: `Date;Certified_Stocks` then a second header line `;Close`, CRLF, `DD.MM.YYYY`
dates, newest first, trading days only, bags of 60 kg.
ports_json: `{"market": "arabica", "snapshots": [{"date", "total_bags", "by_port_totals"}]}`,
port keys in varying order; the ports must sum to total_bags.

Both are refused whole on anything suspicious (a date twice with different values, a negative
count, a date that does not parse): a series that contradicts itself cannot be trusted for any
date. The same date twice with the same value is kept once.
"""

from __future__ import annotations

import json
import re
from datetime import date

import pyarrow as pa

from ingest.errors import SourceError
from ingest.sniff import decode_text

SOURCE = "ice_stocks"
TOTALS = pa.schema(
    [("date", pa.date32()), ("bags", pa.int64()), ("origin_form", pa.string()),
     ("_line", pa.int64()), ("_raw_sha256", pa.string()), ("_release", pa.string()),
     ("_period", pa.date32())]
)  # fmt: skip
PORTS = pa.schema(
    [("date", pa.date32()), ("port_code", pa.string()), ("bags", pa.int64()),
     ("origin_form", pa.string()), ("_line", pa.int64()), ("_raw_sha256", pa.string()),
     ("_release", pa.string()), ("_period", pa.date32())]
)  # fmt: skip
CSV_DATE = re.compile(r"^(\d{2})\.(\d{2})\.(\d{4})$")
ISO_DATE = re.compile(r"^(\d{4})-(\d{2})-(\d{2})$")
CSV_HEADER = ["Date", "Certified_Stocks"]


def _date(text: str, pattern: re.Pattern[str], file: str, line: int, iso: bool) -> date:
    m = pattern.match(text.strip())
    if not m:
        want = "YYYY-MM-DD" if iso else "DD.MM.YYYY"
        raise SourceError(SOURCE, file, f"date {text!r} is not {want}", line)
    y, mo, d = (m[1], m[2], m[3]) if iso else (m[3], m[2], m[1])
    try:
        return date(int(y), int(mo), int(d))
    except ValueError as exc:
        raise SourceError(SOURCE, file, f"date {text!r}: {exc}", line) from exc


def _bags(text: object, file: str, line: int, what: str) -> int:
    if isinstance(text, bool) or not isinstance(text, int | str):
        raise SourceError(SOURCE, file, f"{what} {text!r} is not a whole number of bags", line)
    s = str(text).strip()
    if not re.fullmatch(r"-?\d+", s):
        raise SourceError(SOURCE, file, f"{what} {text!r} is not a whole number of bags", line)
    value = int(s)
    if value < 0:
        raise SourceError(SOURCE, file, f"negative stock {value} for {what}", line)
    return value


def _dedupe(rows: list[tuple[date, int, int]], file: str) -> list[tuple[date, int, int]]:
    """Drop exact repeats of a date; a date repeated with another value refuses the file."""
    seen: dict[date, tuple[int, int]] = {}
    out = []
    for day, bags, line in rows:
        if day in seen:
            first_bags, first_line = seen[day]
            if first_bags != bags:
                raise SourceError(
                    SOURCE, file,
                    f"{day} appears twice with different values: {first_bags} (line "
                    f"{first_line}) and {bags}", line,
                )  # fmt: skip
            continue
        seen[day] = (bags, line)
        out.append((day, bags, line))
    return out


def _totals(rows: list[tuple[date, int, int]], form: str, digest: str) -> tuple[str, pa.Table]:
    release = max(r[0] for r in rows).isoformat()
    n = len(rows)
    table = pa.table(
        {"date": [r[0] for r in rows], "bags": [r[1] for r in rows],
         "origin_form": [form] * n, "_line": [r[2] for r in rows],
         "_raw_sha256": [digest] * n, "_release": [release] * n,
         "_period": [r[0] for r in rows]},
        schema=TOTALS,
    )  # fmt: skip
    return release, table


def parse_csv(data: bytes, name: str, digest: str) -> tuple[str, pa.Table]:
    """(as-of date = newest date in the file, landing `totals` rows) of the semicolon CSV."""
    text = decode_text(SOURCE, name, data)
    lines = text.splitlines()
    if not lines or not lines[0].strip():
        raise SourceError(SOURCE, name, "empty file")
    header = [c.strip() for c in lines[0].split(";")]
    if header != CSV_HEADER:
        raise SourceError(
            SOURCE, name, f"header is {';'.join(header)!r}, expected {';'.join(CSV_HEADER)!r}", 1
        )
    start = 1
    if len(lines) > 1 and [c.strip() for c in lines[1].split(";")] == ["", "Close"]:
        start = 2  # the second header line of the export
    rows = []
    for i, line in enumerate(lines[start:], start=start + 1):
        if not line.strip():
            continue
        cells = line.split(";")
        if len(cells) != 2:
            raise SourceError(SOURCE, name, f"{len(cells)} fields, expected 2", i)
        day = _date(cells[0], CSV_DATE, name, i, iso=False)
        rows.append((day, _bags(cells[1], name, i, f"stocks on {day}"), i))
    if not rows:
        raise SourceError(SOURCE, name, "no data rows")
    return _totals(_dedupe(rows, name), "series_csv", digest)


def _json_lines(text: str, count: int) -> list[int]:
    """Line of each snapshot's `"date"` key, for error messages and `_line`."""
    lines, pos, line = [], 0, 1
    for _ in range(count):
        nxt = text.find('"date"', pos)
        if nxt < 0:
            lines.append(line)
            continue
        line += text.count("\n", pos, nxt)
        lines.append(line)
        pos = nxt + 1
    return lines


def parse_json(data: bytes, name: str, digest: str) -> tuple[str, dict[str, pa.Table]]:
    """(as-of date, landing `totals` and `ports`) of the per-port JSON snapshots."""
    text = decode_text(SOURCE, name, data)
    try:
        doc = json.loads(text)
    except json.JSONDecodeError as exc:
        raise SourceError(SOURCE, name, f"invalid JSON: {exc}", exc.lineno) from exc
    snaps = doc.get("snapshots") if isinstance(doc, dict) else None
    if not isinstance(snaps, list):
        raise SourceError(SOURCE, name, "no `snapshots` list at the top level")
    if doc.get("market", "arabica") != "arabica":
        raise SourceError(SOURCE, name, f"market is {doc.get('market')!r}, expected 'arabica'")
    if not snaps:
        raise SourceError(SOURCE, name, "`snapshots` is empty")
    where = _json_lines(text, len(snaps))
    totals, ports = [], []
    for snap, line in zip(snaps, where, strict=True):
        if not isinstance(snap, dict) or not {"date", "total_bags", "by_port_totals"} <= set(snap):
            keys = sorted(snap) if isinstance(snap, dict) else type(snap).__name__
            raise SourceError(
                SOURCE, name, f"snapshot without date/total_bags/by_port_totals: {keys}", line
            )
        day = _date(str(snap["date"]), ISO_DATE, name, line, iso=True)
        total = _bags(snap["total_bags"], name, line, f"total_bags on {day}")
        by_port = snap["by_port_totals"]
        if not isinstance(by_port, dict):
            raise SourceError(SOURCE, name, f"by_port_totals on {day} is not an object", line)
        port_bags = {p: _bags(v, name, line, f"port {p} on {day}") for p, v in by_port.items()}
        if sum(port_bags.values()) != total:
            raise SourceError(
                SOURCE, name,
                f"ports sum to {sum(port_bags.values())} but total_bags is {total} on {day}", line,
            )  # fmt: skip
        totals.append((day, total, line))
        ports += [(day, p, b, line) for p, b in sorted(port_bags.items())]
    kept = _dedupe(totals, name)
    release, total_table = _totals(kept, "ports_json", digest)
    keep_lines = {r[2] for r in kept}
    ports = [p for p in ports if p[3] in keep_lines]
    n = len(ports)
    port_table = pa.table(
        {"date": [p[0] for p in ports], "port_code": [p[1] for p in ports],
         "bags": [p[2] for p in ports], "origin_form": ["ports_json"] * n,
         "_line": [p[3] for p in ports], "_raw_sha256": [digest] * n,
         "_release": [release] * n, "_period": [p[0] for p in ports]},
        schema=PORTS,
    )  # fmt: skip
    return release, {"totals": total_table, "ports": port_table}
