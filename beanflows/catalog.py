"""catalog.json: assembled after the transform (`assemble`), with its `sources` part and the
freshness of every entry (beanflows.freshness).

The datasets part is written by beanflows.export; this module adds what each source did in
this build and sets one status vocabulary (ok / stale / late) on sources and datasets alike,
so the catalog, the status page, the home page and `beanflows status` never disagree.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

from beanflows import export, freshness, gate, layout
from beanflows.commodities import Commodity
from beanflows.errors import without_paths
from ingest import archive, provenance


def source_entries(
    names: list[str],
    configs: dict[str, dict[str, Any]],
    manifest: list[dict[str, Any]],
    failed: dict[str, str],
    notes: dict[str, list[str]],
    previous: dict[str, Any],
    now: str,
    today: date,
) -> dict[str, Any]:
    """One entry per source built now; sources outside this build keep their entries."""
    out = dict(previous)
    for name in names:
        cfg = configs[name]
        rows = [r for r in manifest if r["source"] == name]
        prev = previous.get(name, {})
        is_failed = name in failed
        as_of = max((r["release"] or "" for r in rows), default=None) or None
        terms = provenance.public_metadata(name)  # publisher, license, citation: source.toml
        entry = {
            "title": cfg.get("title", name),
            "homepage": cfg.get("homepage"),
            "publisher": terms["publisher"],
            "license": terms["license"],
            "citation": terms["citation"],
            "schedule": cfg.get("schedule"),
            "stale_after_days": cfg.get("stale_after_days"),
            "urls": sorted(v for k, v in cfg.items() if k.endswith("_url") and isinstance(v, str)),
            "release": as_of,
            "data_as_of": as_of,
            "files": len(rows),
            "last_success": prev.get("last_success") if is_failed else now,
            "last_failure": now if is_failed else prev.get("last_failure"),
            "error": without_paths(failed[name]) if is_failed else None,
            "stale_since": (prev.get("stale_since") or now) if is_failed else None,
            "notes": [without_paths(n) for n in notes.get(name, [])[:20]],
        }
        entry["late"] = freshness.is_late(entry, today)
        entry["status"] = freshness.source_status(is_failed, entry["late"])
        out[name] = entry
    return out


def apply_freshness(
    datasets: dict[str, Any], sources: dict[str, Any], gate_state: gate.Gate
) -> None:
    """Set every dataset's status (ok / stale / late), failed audits and public reasons."""
    for entry in datasets.values():
        entry["status"] = freshness.dataset_status(entry, sources)
        if entry.get("stale_reason"):
            entry["stale_reason"] = without_paths(entry["stale_reason"])
        entry["failed_audits"] = gate.failed_audits(entry.get("lineage") or [], gate_state)


def commodity_entries(
    commodities: tuple[Commodity, ...],
    problems: dict[str, list[str]] | None = None,
    previous: list[dict[str, Any]] | None = None,
    now: str = "",
    built: list[str] | None = None,
) -> list[dict[str, Any]]:
    """The configured commodities (commodities.toml) as the catalog publishes them: which
    codes, markets and symbols make each one, so a reader or the SDK can filter the generic
    datasets (commodity_balance, commodity_positioning, commodity_prices_daily) by name.

    A commodity whose own files failed this build (`problems`, e.g. its futures symbol
    answered 404) is `stale`: its rows in the generic datasets are the last ones landed, and
    `stale_reason` / `stale_since` say why and since when (kept from the previous catalog).
    A build of some sources only (`built`) keeps the other sources' problems as they were."""
    problems = {k: list(v) for k, v in (problems or {}).items()}
    before = {e.get("slug"): e for e in previous or []}
    for slug, old in before.items():
        reason = old.get("stale_reason") or ""
        if reason and built is not None and reason.split(":", 1)[0] not in built:
            problems.setdefault(slug, []).append(reason)
    out = []
    for c in commodities:
        entry = {
            "slug": c.slug,
            "name": c.name,
            "psd_codes": list(c.psd_codes),
            "psd_unit": c.psd_unit,
            "cot_markets": list(c.cot_markets),
            "symbols": dict(c.symbols),
            "pages": list(c.pages),
            "status": "stale" if problems.get(c.slug) else "ok",
            "stale_reason": None,
            "stale_since": None,
        }
        if problems.get(c.slug):
            entry["stale_reason"] = without_paths(problems[c.slug][0])
            entry["stale_since"] = before.get(c.slug, {}).get("stale_since") or now
        out.append(entry)
    return out


def assemble(
    var_dir: Path,
    out_dir: Path,
    names: list[str],
    configs: dict[str, dict[str, Any]],
    failed: dict[str, str],
    stale: dict[str, str],
    notes: dict[str, list[str]],
    gate_state: gate.Gate,
    demo: bool,
    now: str,
    today: date,
    reuse: bool = False,
    commodities: tuple[Commodity, ...] = (),
    commodity_problems: dict[str, list[str]] | None = None,
) -> tuple[dict[str, Any], dict[str, str]]:
    """Export the datasets of this build's sources and write catalog.json.

    `failed` (source -> reason) and `stale` (dataset -> reason) come from beanflows.failures;
    datasets of sources outside this build keep their previous entries untouched. Returns the
    catalog and the datasets meant to be refreshed that could not be written (-> reason).
    """
    specs = layout.dataset_specs()
    untouched = {d for d, spec in specs.items() if not set(spec["sources"]) <= set(names)}
    fresh = set(specs) - set(stale) - untouched
    manifest = archive.load_manifest(layout.raw_dir(var_dir))
    raw_files = {n: [r for r in manifest if r["source"] == n] for n in names}
    previous = export._previous(out_dir)
    datasets = export.export_datasets(
        var_dir, out_dir, fresh, stale, raw_files, demo, now, untouched=untouched, reuse=reuse
    )
    unwritten = {
        name: datasets[name]["stale_reason"]
        for name in sorted(fresh)
        if datasets.get(name, {}).get("status") == "stale"
    }
    sources = source_entries(
        names, configs, manifest, failed, notes, previous.get("sources", {}), now, today
    )
    apply_freshness(datasets, sources, gate_state)
    catalog = {
        "catalog_version": 1,
        "built_at": now,
        "demo": demo,
        "datasets": datasets,
        "sources": sources,
        "commodities": commodity_entries(
            commodities, commodity_problems, previous.get("commodities"), now, names
        ),
    }
    export.write_catalog(out_dir, catalog)
    return catalog, unwritten
