"""catalog.json's `sources` part and the freshness of every entry (beanflows.freshness).

The datasets part is written by beanflows.export; this module adds what each source did in
this build and sets one status vocabulary (ok / stale / late) on sources and datasets alike,
so the catalog, the status page, the home page and `beanflows status` never disagree.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from beanflows import freshness, gate
from beanflows.errors import without_paths
from ingest import provenance


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
