"""Revisions: how each USDA release changed the estimates (the release-surprise view).

Reads psd_coffee_vintages (free file). A "vintage" is one (release, release_type): the bulk
file of a month and the PSD Online report tables of a month are both USDA's view at the time.
A revision compares a key's value with the same key in the previous vintage that had it.
"""

from __future__ import annotations

from typing import Any

from beanflows.render import layout as L
from beanflows.render.data import Data, fmt, signed
from beanflows.render.helpers import country_vintages, no_data_page, page_meta, pct, tier_note

DS = ["psd_coffee_vintages"]

_REVISED = """
WITH v AS (
  SELECT release, release_type, release || ' ' || REPLACE(release_type, '_', ' ') AS vintage,
         country_code, country, market_year, marketing_year, attribute_id, attribute, value,
         LAG(value) OVER k AS prev_value,
         LAG(release || ' ' || REPLACE(release_type, '_', ' ')) OVER k AS prev_vintage
  FROM "{view}"
  WINDOW k AS (PARTITION BY country_code, market_year, attribute_id
               ORDER BY release, release_type)
)
SELECT * FROM v
"""


def vintages(data: Data) -> list[dict[str, Any]]:
    ds = data.get("psd_coffee_vintages")
    return data.rows(
        f"""SELECT release, release_type, COUNT(*) AS n, COUNT(DISTINCT country_code) AS countries,
                  MIN(marketing_year) AS first_year, MAX(marketing_year) AS last_year
           FROM "{ds.view}" GROUP BY ALL ORDER BY release, release_type"""
    )


def build(data: Data) -> list[dict[str, Any]]:
    ds = data.get("psd_coffee_vintages")
    base = page_meta(data, DS)
    desc = "How each USDA PSD release revised coffee production, consumption and stocks."
    if not ds.ok:
        takeaway = "No release history on the public site yet."
        return [no_data_page("revisions", "Revisions", desc, takeaway, "USDA releases", ds, **base)]
    vins = vintages(data)
    revised = data.rows(
        _REVISED.format(view=ds.view)
        + """WHERE prev_value IS NOT NULL AND value <> prev_value
             QUALIFY vintage = LAST_VALUE(vintage) OVER (ORDER BY release, release_type
                 ROWS BETWEEN UNBOUNDED PRECEDING AND UNBOUNDED FOLLOWING)
             ORDER BY ABS(value - prev_value) DESC, country, market_year, attribute_id
             LIMIT 20"""
    )
    top = data.rows(
        f"""SELECT country_code, country, SUM(value) AS v FROM "{ds.view}"
           WHERE attribute_id = '028' AND release_type = 'bulk'
             AND country_code <> 'WORLD'
           GROUP BY ALL ORDER BY v DESC, country LIMIT 3"""
    )
    newest = vins[-1] if vins else None
    if revised:
        r = revised[0]
        takeaway = (
            f"Biggest change in the {r['vintage']} release: {r['country']} "
            f"{r['marketing_year']} {r['attribute'].lower()} "
            f"{signed(r['value'] - r['prev_value'])} thousand bags "
            f"({signed(pct(r['value'], r['prev_value']), 1, '%')}) vs the {r['prev_vintage']}."
        )
    elif newest:
        takeaway = (
            f"The {newest['release']} release left every estimate it shares with earlier "
            "releases unchanged."
        )
    else:
        takeaway = "No USDA releases yet."
    blocks: list[dict[str, Any]] = []
    for t in top:
        b = country_vintages(
            data,
            t["country_code"],
            "028",
            t["country"],
            f"v-{L.slugify(t['country'])}",
            f"What USDA thought of {t['country']}'s crop, release by release",
        )
        if b:
            blocks.append(b)
    if revised:
        blocks.append(
            L.table_block(
                "surprise",
                f"Release surprise: largest revisions in {revised[0]['vintage']}",
                L.table(
                    [
                        ("Country", False),
                        ("Market year", False),
                        ("Item", False),
                        ("Before", True),
                        ("Now", True),
                        ("Change", True),
                        ("%", True),
                    ],
                    [
                        [
                            r["country"],
                            r["marketing_year"],
                            r["attribute"],
                            fmt(r["prev_value"]),
                            fmt(r["value"]),
                            signed(r["value"] - r["prev_value"]),
                            signed(pct(r["value"], r["prev_value"]), 1),
                        ]
                        for r in revised
                    ],
                    f"1000 60 kg bags; 'Before' is the {revised[0]['prev_vintage']} value",
                ),
                full=True,
            )
        )
    blocks.append(
        L.table_block(
            "releases",
            "USDA releases on file",
            L.table(
                [
                    ("Release", False),
                    ("Type", False),
                    ("Figures", True),
                    ("Countries", True),
                    ("Market years", False),
                ],
                [
                    [
                        v["release"],
                        v["release_type"].replace("_", " "),
                        fmt(v["n"]),
                        fmt(v["countries"]),
                        f"{v['first_year']} – {v['last_year']}",
                    ]
                    for v in vins
                ],
            ),
            note="bulk = USDA's full psd_coffee_csv.zip; report table = PSD Online tables "
            "(production, consumption, stocks, trade only).",
            full=True,
        )
    )
    return [
        L.page(
            "revisions",
            "revisions",
            "Revisions",
            desc,
            takeaway=takeaway,
            blocks=blocks,
            tier_note=tier_note(data, DS),
            **base,
        )
    ]
