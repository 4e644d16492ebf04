"""The brief's charts as PNG (vl-convert, 2x scale): mail clients show images, not scripts.

Each chart is (name, png bytes, alt text); the alt text states what the chart shows in
numbers, for readers whose client blocks images. Rendering is offline and deterministic.
"""

from __future__ import annotations

import hashlib
import json
import struct
import zlib
from datetime import date
from typing import Any

import duckdb
import vl_convert

from beanflows import drawing_cache
from beanflows.brief import select, weeks

WIDTH_PX, HEIGHT_PX, SCALE = 520, 160, 2
INK, ACCENT, MUTED = "#2b2118", "#8a4b22", "#6b5d52"


def _spec(rows: list[dict[str, Any]], mark: dict, enc: dict, title: str) -> dict[str, Any]:
    return {
        "$schema": "https://vega.github.io/schema/vega-lite/v5.json",
        "title": {"text": title, "anchor": "start", "color": INK, "fontSize": 13},
        "width": WIDTH_PX, "height": HEIGHT_PX, "background": "#ffffff",
        "data": {"values": rows}, "mark": mark, "encoding": enc,
        "config": {"font": "DejaVu Sans", "view": {"stroke": None},
                   "axis": {"labelColor": MUTED, "titleColor": MUTED, "grid": False}},
    }  # fmt: skip


def _png(spec: dict[str, Any]) -> bytes:
    """The chart as PNG, drawn once per content (like the site's SVG drawings: a rebuild of
    the same week's numbers redraws nothing, ~0.3 s a chart)."""
    text = json.dumps(spec, sort_keys=True, separators=(",", ":"))
    key = hashlib.sha256(f"{text}\n{SCALE}".encode()).hexdigest()
    folder = drawing_cache.folder("png")
    path = drawing_cache.path(folder, key, ".png")
    png = drawing_cache.load(path, drawing_cache.whole_png)
    if png is None:
        png = smaller_png(vl_convert.vegalite_to_png(spec, scale=SCALE))
        drawing_cache.store(path, png)
    return png


def smaller_png(png: bytes) -> bytes:
    """The same image with its pixel data deflated at level 9 (vl-convert writes fast, ~4x
    larger): the brief's four charts then fit the 300 KB message budget. Only the IDAT
    stream changes; pixels, filters and every other chunk stay as they were."""
    chunks, pos = [], 8
    while pos < len(png):
        (size,) = struct.unpack(">I", png[pos : pos + 4])
        chunks.append((png[pos + 4 : pos + 8], png[pos + 8 : pos + 8 + size]))
        pos += 12 + size
    pixels = zlib.compress(zlib.decompress(b"".join(d for t, d in chunks if t == b"IDAT")), 9)
    out, wrote = [png[:8]], False
    for kind, data in chunks:
        if kind == b"IDAT":
            if wrote:
                continue
            kind, data, wrote = b"IDAT", pixels, True
        crc = zlib.crc32(kind + data)
        out.append(struct.pack(">I", len(data)) + kind + data + struct.pack(">I", crc))
    return b"".join(out)


def _rows(con: duckdb.DuckDBPyConnection, sql: str, params: list[Any]) -> list[dict[str, Any]]:
    cur = con.execute(sql, params)
    cols = [d[0] for d in cur.description]
    return [{c: (str(v) if isinstance(v, date) else v) for c, v in zip(cols, r, strict=True)}
            for r in cur.fetchall()]  # fmt: skip


def _x(field: str) -> dict[str, Any]:
    return {"field": field, "type": "temporal", "title": None, "axis": {"format": "%b %y"}}


def price_chart(con, sunday: date) -> tuple[str, bytes, str] | None:
    if not select.has(con, "prices_daily"):
        return None
    rows = _rows(
        con,
        """WITH e AS (SELECT MAX(date) AS d FROM prices_daily WHERE date <= ?)
           SELECT date, CASE symbol WHEN 'KC=F' THEN 'Coffee C' ELSE 'Robusta' END AS market,
                  ROUND(close, 2) AS close
           FROM prices_daily, e WHERE symbol IN ('KC=F', 'RC=F') AND close IS NOT NULL
             AND date BETWEEN e.d - 364 AND e.d ORDER BY symbol, date""",
        [sunday],
    )
    if not rows:
        return None
    enc = {
        "x": _x("date"),
        "y": {
            "field": "close",
            "type": "quantitative",
            "title": "US cents/lb",
            "scale": {"zero": False},
        },
        "color": {
            "field": "market",
            "type": "nominal",
            "title": None,
            "scale": {"range": [ACCENT, MUTED]},
            "legend": {"orient": "top-left"},
        },
    }
    last = {r["market"]: r for r in rows}
    alt = "Daily close over 52 weeks, US cents/lb: " + "; ".join(
        f"{m} {v['close']:.2f} on {v['date']}" for m, v in sorted(last.items())
    )
    spec = _spec(rows, {"type": "line", "strokeWidth": 1.5}, enc, "Price, 52 weeks")
    return "price", _png(spec), alt


def positioning_chart(con, sunday: date, pos: dict[str, Any]) -> tuple[str, bytes, str] | None:
    group = pos.get("group")
    if not group:
        return None
    rows = _rows(
        con,
        f"""SELECT report_date, {group}_net AS mm_net FROM cot_positioning
           WHERE market_code = ? AND report_type = 'futures_only' AND report_date <= ?
             AND {group}_net IS NOT NULL
           ORDER BY report_date DESC LIMIT 52""",
        [select.COFFEE_C_MARKET, sunday],
    )[::-1]
    if not rows:
        return None
    enc = {
        "x": _x("report_date"),
        "y": {"field": "mm_net", "type": "quantitative", "title": "contracts"},
        "color": {"condition": {"test": "datum.mm_net < 0", "value": MUTED}, "value": ACCENT},
    }
    alt = (
        f"{pos['label']} net in Coffee C over {len(rows)} reports, from {rows[0]['mm_net']:,} "
        f"contracts on {rows[0]['report_date']} to {rows[-1]['mm_net']:,} on "
        f"{rows[-1]['report_date']}"
    )
    title = f"{pos['label']} net, Coffee C futures"
    return "positioning", _png(_spec(rows, {"type": "bar"}, enc, title)), alt


def stocks_chart(con, sunday: date) -> tuple[str, bytes, str] | None:
    if not select.has(con, "ice_certified_stocks"):
        return None
    rows = _rows(
        con,
        """WITH e AS (SELECT MAX(date) AS d FROM ice_certified_stocks WHERE date <= ?)
           SELECT date, bags FROM ice_certified_stocks, e
           WHERE date BETWEEN e.d - 364 AND e.d ORDER BY date""",
        [sunday],
    )
    if not rows:
        return None
    enc = {"x": _x("date"),
           "y": {"field": "bags", "type": "quantitative", "title": "bags of 60 kg"}}  # fmt: skip
    alt = (
        f"ICE certified Arabica stocks over 52 weeks, from {rows[0]['bags']:,} bags on "
        f"{rows[0]['date']} to {rows[-1]['bags']:,} bags on {rows[-1]['date']}"
    )
    mark = {"type": "area", "color": ACCENT, "line": False}
    return "stocks", _png(_spec(rows, mark, enc, "ICE certified stocks, 52 weeks")), alt


def ports_chart(brief: dict[str, Any]) -> tuple[str, bytes, str] | None:
    ports = brief["sections"]["stocks"].get("ports") or []
    if not ports:
        return None
    rows = [{"port": p["name"], "change": p["change"]["value"]} for p in ports]
    enc = {
        "y": {"field": "port", "type": "nominal", "title": None, "sort": None},
        "x": {"field": "change", "type": "quantitative", "title": "bags of 60 kg, week"},
        "color": {"condition": {"test": "datum.change < 0", "value": MUTED}, "value": ACCENT},
    }
    spec = _spec(rows, {"type": "bar"}, enc, "Ports that moved most")
    spec["height"] = 24 * len(rows)
    alt = "Weekly change of certified stocks by port: " + "; ".join(
        f"{r['port']} {r['change']:+,} bags" for r in rows
    )
    return "ports", _png(spec), alt


def charts(out_dir, brief: dict[str, Any]) -> list[tuple[str, bytes, str]]:
    """The 3-5 charts of a brief (fewer when datasets are missing)."""
    _, sunday = weeks.parse(brief["week"])
    con = select.connect(out_dir)
    try:
        made = [
            price_chart(con, sunday),
            positioning_chart(con, sunday, brief["sections"]["positioning"]),
            stocks_chart(con, sunday),
            ports_chart(brief),
        ]
    finally:
        con.close()
    drawing_cache.prune(drawing_cache.folder("png"), ".png")  # once a brief, not a chart
    return [c for c in made if c is not None]
