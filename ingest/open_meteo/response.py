"""Parse one Open-Meteo JSON response (archive, forecast or historical-forecast; hourly or daily).

Facts the parser relies on (../shared/data/PROVENANCE.md):
  - times are ISO local-time strings without offset, in the response's `timezone` (an IANA
    name such as `GMT` or `America/Sao_Paulo`); `utc_offset_seconds` is the offset at request
    time, so it is only the fallback when the name is unknown (it ignores DST changes);
  - variables are parallel arrays under `hourly` / `daily`, units under `*_units`;
  - the response names no region, only the grid cell used, which is matched to the nearest
    configured region (regions.match).
Hourly rows carry the region's local calendar day (`local_date`) and that day's length in hours
so SQL can aggregate complete local days only.
"""

from __future__ import annotations

import json
import re
from datetime import UTC, date, datetime, timedelta, timezone
from functools import cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import pyarrow as pa

from ingest.errors import SourceError
from ingest.open_meteo import regions
from ingest.sniff import decode_text

SOURCE = "open_meteo"
HOURLY_TIME = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}$")
DAILY_TIME = re.compile(r"^\d{4}-\d{2}-\d{2}$")
HOURLY_VARS = {"temperature_2m": "°C", "precipitation": "mm"}
DAILY_VARS = {"temperature_2m_min": "°C", "temperature_2m_max": "°C", "precipitation_sum": "mm"}
_COMMON = [
    ("region", pa.string()), ("region_name", pa.string()), ("country", pa.string()),
    ("coffee", pa.string()), ("region_timezone", pa.string()), ("api_kind", pa.string()),
    ("latitude", pa.float64()), ("longitude", pa.float64()), ("elevation", pa.float64()),
    ("timezone", pa.string()), ("utc_offset_seconds", pa.int32()), ("time_published", pa.string()),
]  # fmt: skip
_LINEAGE = [
    ("_line", pa.int64()), ("_raw_sha256", pa.string()), ("_release", pa.string()),
    ("_period", pa.date32()),
]  # fmt: skip
HOURLY = pa.schema(
    [*_COMMON, ("time_utc", pa.timestamp("s")), ("local_date", pa.date32()),
     ("local_day_hours", pa.int32()), ("temperature_2m", pa.float64()),
     ("precipitation", pa.float64()), *_LINEAGE]
)  # fmt: skip
DAILY = pa.schema(
    [*_COMMON, ("date", pa.date32()), ("temperature_2m_min", pa.float64()),
     ("temperature_2m_max", pa.float64()), ("precipitation_sum", pa.float64()), *_LINEAGE]
)  # fmt: skip


def _zone(name: str, offset: int) -> timezone | ZoneInfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return timezone(timedelta(seconds=offset))


@cache
def _day_hours(day: date, tz_name: str) -> int:
    """Length of a local calendar day in hours (23 or 25 on DST change days)."""
    tz = ZoneInfo(tz_name)
    start = datetime(day.year, day.month, day.day, tzinfo=tz)
    nxt = start + timedelta(days=1)
    return int((nxt.astimezone(UTC) - start.astimezone(UTC)).total_seconds() // 3600)


def _number(value: object, name: str, what: str) -> float | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise SourceError(SOURCE, name, f"{what}: {value!r} is not a number")
    return float(value)


def _block(doc: dict, key: str, wanted: dict[str, str], pattern: re.Pattern, name: str) -> dict:
    """The parallel arrays of `hourly`/`daily`, checked for names, units, lengths, time format."""
    block = doc[key]
    if not isinstance(block, dict) or not isinstance(block.get("time"), list):
        raise SourceError(SOURCE, name, f"`{key}` has no `time` array")
    missing = [v for v in wanted if v not in block]
    if missing:
        raise SourceError(
            SOURCE, name, f"`{key}` lacks {missing} (has {sorted(block)}): renamed variable?"
        )
    n = len(block["time"])
    for var in ["time", *wanted]:
        if not isinstance(block[var], list) or len(block[var]) != n:
            got = len(block[var]) if isinstance(block[var], list) else type(block[var]).__name__
            raise SourceError(
                SOURCE, name, f"arrays of unequal length in `{key}`: time has {n}, {var} has {got}"
            )
    units = doc.get(f"{key}_units") or {}
    for var, unit in wanted.items():
        if var in units and units[var] != unit:
            raise SourceError(SOURCE, name, f"{var} is in {units[var]!r}, expected {unit!r}")
    for i, t in enumerate(block["time"]):
        if not isinstance(t, str) or not pattern.match(t):
            fmt = "YYYY-MM-DDTHH:MM" if key == "hourly" else "YYYY-MM-DD"
            raise SourceError(SOURCE, name, f"{key}.time[{i}] = {t!r} is not {fmt} local time")
    return block


def _dedupe(times: list[str], columns: dict[str, list], name: str, key: str) -> list[int]:
    """Indexes to keep: a time repeated with the same values once; with other values: error."""
    first: dict[str, int] = {}
    keep = []
    for i, t in enumerate(times):
        if t in first:
            j = first[t]
            if any(col[i] != col[j] for col in columns.values()):
                raise SourceError(
                    SOURCE, name, f"{key}.time {t} appears twice with different values "
                    f"(positions {j} and {i})",
                )  # fmt: skip
            continue
        first[t] = i
        keep.append(i)
    return keep


def load(data: bytes, name: str) -> dict:
    """The response object, or SourceError for an API error body or a foreign JSON."""
    try:
        doc = json.loads(decode_text(SOURCE, name, data))
    except json.JSONDecodeError as exc:
        raise SourceError(SOURCE, name, f"invalid JSON: {exc}", exc.lineno) from exc
    if not isinstance(doc, dict):
        raise SourceError(SOURCE, name, "not an Open-Meteo response object")
    if doc.get("error"):
        raise SourceError(SOURCE, name, f"Open-Meteo error response: {doc.get('reason')!r}")
    need = ["latitude", "longitude", "timezone", "utc_offset_seconds"]
    if any(k not in doc for k in need) or not ("hourly" in doc or "daily" in doc):
        raise SourceError(SOURCE, name, f"missing {need} or hourly/daily: not Open-Meteo?")
    return doc


def parse(data: bytes, name: str, digest: str, api_kind: str) -> tuple[str, dict[str, pa.Table]]:
    """(release, {"hourly": ..., "daily": ...}) of one response.

    release: archive -> last day covered; forecast -> first day (the issue day). `_period` is
    the row's local day for archive rows; for forecast rows it is the day before the issue
    day: future days are no SQLMesh intervals yet, and the issue day itself is still an open
    interval on the night it is fetched, so a forecast fetched tonight is processed tonight.
    """
    doc = load(data, name)
    lat = _number(doc["latitude"], name, "latitude")
    lon = _number(doc["longitude"], name, "longitude")
    if lat is None or lon is None:
        raise SourceError(SOURCE, name, "latitude/longitude missing")
    region = regions.match(lat, lon, name)
    tz_name = str(doc["timezone"])
    offset = int(doc["utc_offset_seconds"])
    zone = _zone(tz_name, offset)
    common = {
        "region": region.key, "region_name": region.name, "country": region.country,
        "coffee": region.coffee, "region_timezone": region.timezone, "api_kind": api_kind,
        "latitude": lat, "longitude": lon, "elevation": _number(doc.get("elevation"), name, "el"),
        "timezone": tz_name, "utc_offset_seconds": offset,
    }  # fmt: skip
    out: dict[str, pa.Table] = {}
    days: list[date] = []
    if "hourly" in doc:
        block = _block(doc, "hourly", HOURLY_VARS, HOURLY_TIME, name)
        values = {v: [_number(x, name, v) for x in block[v]] for v in HOURLY_VARS}
        keep = _dedupe(block["time"], values, name, "hourly")
        rz = ZoneInfo(region.timezone)
        rows: dict[str, list] = {f.name: [] for f in HOURLY}
        for i in keep:
            t = block["time"][i]
            local = datetime.fromisoformat(t).replace(tzinfo=zone)
            utc = local.astimezone(UTC)
            day = utc.astimezone(rz).date()
            rows["time_published"].append(t)
            rows["time_utc"].append(utc.replace(tzinfo=None))
            rows["local_date"].append(day)
            rows["local_day_hours"].append(_day_hours(day, region.timezone))
            rows["temperature_2m"].append(values["temperature_2m"][i])
            rows["precipitation"].append(values["precipitation"][i])
            rows["_line"].append(i + 1)
            days.append(day)
        out["hourly"] = _finish(rows, common, digest, HOURLY)
    if "daily" in doc:
        block = _block(doc, "daily", DAILY_VARS, DAILY_TIME, name)
        values = {v: [_number(x, name, v) for x in block[v]] for v in DAILY_VARS}
        keep = _dedupe(block["time"], values, name, "daily")
        rows = {f.name: [] for f in DAILY}
        for i in keep:
            day = date.fromisoformat(block["time"][i])
            rows["time_published"].append(block["time"][i])
            rows["date"].append(day)
            for v in DAILY_VARS:
                rows[v].append(values[v][i])
            rows["_line"].append(i + 1)
            days.append(day)
        out["daily"] = _finish(rows, common, digest, DAILY)
    if not days:
        raise SourceError(SOURCE, name, "the response holds no time steps")
    release = (min(days) if api_kind == "forecast" else max(days)).isoformat()
    for key, table in out.items():
        period = (
            [min(days) - timedelta(days=1)] * table.num_rows
            if api_kind == "forecast"
            else table["local_date" if key == "hourly" else "date"].to_pylist()
        )
        table = table.set_column(table.schema.get_field_index("_release"), "_release",
                                 pa.array([release] * table.num_rows, pa.string()))  # fmt: skip
        out[key] = table.set_column(
            table.schema.get_field_index("_period"), "_period", pa.array(period, pa.date32())
        )
    return release, out


def _finish(rows: dict[str, list], common: dict, digest: str, schema: pa.Schema) -> pa.Table:
    n = len(rows["_line"])
    for key, value in common.items():
        rows[key] = [value] * n
    rows["_raw_sha256"] = [digest] * n
    rows["_release"] = [""] * n
    rows["_period"] = [None] * n
    return pa.table(rows, schema=schema)
