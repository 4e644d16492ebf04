"""Where every raw file comes from, and under which terms: canonical URLs and source metadata.

A fetched file's manifest row holds the URL it was fetched from. A file imported with
`--raw-from` (or `--demo`) was not fetched, yet it still comes from somewhere: its row gets the
URL the source would fetch it from, derived from the source's `source.toml` (its URL templates
and the file's name, kind and release), marked `url_derived` so that fetching never takes it
for a file already downloaded from that URL. The local path it was imported from stays apart,
in `import_path`, and is never published.

Every source.toml must also say who publishes the data and under which terms (the OWID habit:
a snapshot without producer, licence and citation is not a snapshot): `REQUIRED` lists the
keys, `missing_metadata` says what a source lacks (a test fails on any gap), and
`public_metadata` is what the catalog, the methodology and the downloads page show.
"""

from __future__ import annotations

import functools
import importlib
import re
import tomllib
from types import ModuleType
from typing import Any

from beanflows import layout

# Keys every source.toml must carry (non-empty strings), and the keys of its `license` table.
REQUIRED = ("title", "publisher", "homepage", "schedule", "citation")
LICENSE_KEYS = ("name", "url")
RELEASE = re.compile(r"^(\d{4})(?:-(\d{2}))?(?:-(\d{2}))?")


@functools.cache
def source_config(source: str) -> dict[str, Any]:
    """A source's source.toml as shipped (canonical URLs are upstream's, never a test's)."""
    with (layout.INGEST_DIR / source / "source.toml").open("rb") as fh:
        return tomllib.load(fh)


def missing_metadata(cfg: dict[str, Any]) -> list[str]:
    """The mandatory metadata keys a source.toml lacks or leaves empty."""
    missing = [k for k in REQUIRED if not str(cfg.get(k) or "").strip()]
    lic = cfg.get("license") if isinstance(cfg.get("license"), dict) else {}
    missing += [f"license.{k}" for k in LICENSE_KEYS if not str(lic.get(k) or "").strip()]
    return missing


def public_metadata(source: str) -> dict[str, Any]:
    """Publisher, terms and citation of a source, as the catalog and the site show them."""
    cfg = source_config(source)
    lic = cfg.get("license") or {}
    return {
        "title": cfg.get("title", source),
        "publisher": cfg.get("publisher"),
        "homepage": cfg.get("homepage"),
        "schedule": cfg.get("schedule"),
        "license": {k: lic.get(k) for k in ("name", "url", "notes")},
        "citation": cfg.get("citation"),
    }


def _fields(name: str, release: str | None) -> dict[str, Any]:
    """Placeholders of a canonical URL template: the file's name and its release's parts."""
    stem = name.rsplit(".", 1)[0]
    fields: dict[str, Any] = {"name": name, "stem": stem, "release": release or ""}
    m = RELEASE.match(release or "")
    if m:
        year, month, day = (int(g) if g else None for g in m.groups())
        fields.update(year=year, month=month or 1, day=day or 1)
        fields["date"] = f"{year:04d}{month or 1:02d}{day or 1:02d}"
    return fields


def canonical_url(
    mod: ModuleType, kind: str | None, name: str, release: str | None, cfg: dict[str, Any]
) -> str:
    """The upstream URL a file of this source, kind, name and release comes from.

    A source module may define `canonical_url(cfg, kind, name, release)` when a template is
    not enough (CFTC's history vs yearly zips); otherwise the kind's template in
    `canonical_urls` is filled in. When neither applies (a template needing a release the file
    lacks), the source's homepage is the honest answer: the page the file is published from.
    """
    url = None
    if hasattr(mod, "canonical_url"):
        url = mod.canonical_url(cfg, kind, name, release)
    template = (cfg.get("canonical_urls") or {}).get(kind or "")
    if url is None and template:
        try:
            url = template.format(**_fields(name, release))
        except (KeyError, ValueError, IndexError):
            url = None
    return url or cfg["homepage"]


def fill_urls(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Manifest rows with a URL each: rows stored before URLs were kept for imported files
    (url null) get their canonical URL on read; the archive itself is never rewritten."""
    out = []
    for row in rows:
        if not row.get("url"):
            mod = importlib.import_module(f"ingest.{row['source']}")
            cfg = source_config(row["source"])
            url = canonical_url(mod, row.get("kind"), row["name"], row.get("release"), cfg)
            row = {**row, "url": url, "url_derived": True}
        out.append(row)
    return out
