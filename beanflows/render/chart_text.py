"""A chart in words: the latest values it shows and its data as a table, read from its spec.

Every chart on the site is one of the shapes in charts.py, whose tooltips name exactly what a
reader sees (row key, series, values with their titles and number formats). Reading those back
gives each chart a description with its latest value and a data table without each page
writing them by hand, so no chart can ship without either.
"""

from __future__ import annotations

from typing import Any

TABLE_ROWS = 60  # newest rows in a chart's data table; the Downloads link has every row


def _fields(spec: dict[str, Any]) -> dict[str, Any]:
    enc = spec.get("encoding") or spec["layer"][0]["encoding"]
    color = (enc.get("color") or {}).get("field")
    tips = enc.get("tooltip") or []
    keys = [t for t in tips if t.get("type") != "quantitative" and t["field"] != color]
    values = [t for t in tips if t.get("type") == "quantitative"]
    return {"key": keys[0] if keys else None, "color": color, "values": values}


def key_text(tip: dict[str, Any], value: Any) -> str:
    """A row key as readers see it: dates as ISO days, USDA market years as crop years."""
    if value is None:
        return "–"
    if tip.get("type") == "temporal":
        return str(value)[:10]
    if tip["field"] == "market_year" and isinstance(value, int):
        return f"{value - 1}/{value % 100:02d}"
    return str(value)


def value_text(tip: dict[str, Any], value: Any) -> str:
    if value is None:
        return "–"
    try:
        return format(value, tip.get("format") or ",")
    except (TypeError, ValueError):
        return str(value)


def _ordered(spec: dict[str, Any], key: dict[str, Any] | None) -> list[dict[str, Any]]:
    """The chart's rows, oldest first when the key is a time or a market year."""
    rows = list((spec.get("data") or {}).get("values") or [])
    if key and key.get("type") == "temporal":
        rows.sort(key=lambda r: str(r.get(key["field"]) or ""))
    elif key and key.get("type") == "ordinal":
        rows.sort(key=lambda r: (r.get(key["field"]) is None, r.get(key["field"]) or 0))
    return rows


def latest(spec: dict[str, Any]) -> str:
    """One sentence with the newest value of every series (or the first bars, largest first)."""
    f = _fields(spec)
    key, values = f["key"], f["values"]
    if not values:
        return ""
    rows = _ordered(spec, key)
    if key and key.get("type") == "nominal":  # bars: the order is the ranking
        top = [r for r in rows if r.get(values[0]["field"]) is not None][:5]
        unit = values[0].get("title") or ""
        items = ", ".join(
            f"{key_text(key, r.get(key['field']))} {value_text(values[0], r[values[0]['field']])}"
            for r in top
        )
        return f"Largest: {items} ({unit})." if unit else f"Largest: {items}."
    if f["color"]:
        last: dict[Any, dict[str, Any]] = {}
        y = values[0]
        for r in rows:
            if r.get(y["field"]) is not None:
                last[r.get(f["color"])] = r
        when = {key_text(key, r.get(key["field"])) for r in last.values()} if key else set()
        parts = [
            f"{name} {value_text(y, r[y['field']])}"
            + ("" if len(when) == 1 or not key else f" ({key_text(key, r.get(key['field']))})")
            for name, r in list(last.items())[:8]
        ]
        head = f"Latest, {when.pop()}" if len(when) == 1 else "Latest"
        unit = f" ({y['title']})" if y.get("title") else ""
        return f"{head}: {'; '.join(parts)}{unit}." if parts else ""
    valid = [r for r in rows if any(r.get(v["field"]) is not None for v in values)]
    if not valid:
        return ""
    r = valid[-1]
    parts = [
        f"{v.get('title') or v['field']} {value_text(v, r.get(v['field']))}"
        for v in values
        if r.get(v["field"]) is not None
    ]
    at = f", {key_text(key, r.get(key['field']))}" if key else ""
    return f"Latest{at}: {'; '.join(parts)}."


def table(spec: dict[str, Any]) -> dict[str, Any]:
    """The chart's data as a table (layout.table's shape): a row per key, a column per series."""
    f = _fields(spec)
    key, values, color = f["key"], f["values"], f["color"]
    rows = [r for r in _ordered(spec, key) if any(r.get(v["field"]) is not None for v in values)]
    label = (key or {}).get("title") or ((key or {}).get("field") or "").replace("_", " ")
    label = "Market year" if (key or {}).get("field") == "market_year" else label.capitalize()
    if color and values:
        y = values[0]
        names = list(dict.fromkeys(r.get(color) for r in rows))
        cell: dict[Any, dict[Any, Any]] = {}
        for r in rows:
            cell.setdefault(r.get(key["field"]) if key else None, {})[r.get(color)] = r.get(
                y["field"]
            )
        keys = list(cell)
        cols = [(label, False)] + [(str(n), True) for n in names]
        body = [[key_text(key, k), *(value_text(y, cell[k].get(n)) for n in names)] for k in keys]
        unit = y.get("title") or ""
    else:
        cols = [(label, False)] + [(v.get("title") or v["field"], True) for v in values]
        body = [
            [
                key_text(key, r.get(key["field"])) if key else "",
                *(value_text(v, r.get(v["field"])) for v in values),
            ]
            for r in rows
        ]
        unit = ""
    newest_first = bool(key) and key.get("type") in ("temporal", "ordinal")
    if newest_first:
        body = body[::-1]
    shown = body[:TABLE_ROWS]
    count = f"Latest {len(shown)} of {len(body)}" if len(shown) < len(body) else f"All {len(body)}"
    caption = f"{count} rows{', newest first' if newest_first else ''}" + (
        f"; values in {unit}" if unit else ""
    )
    return {
        "caption": caption,
        "columns": [{"label": label, "num": num} for label, num in cols],
        "rows": shown,
    }
