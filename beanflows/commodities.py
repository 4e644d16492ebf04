"""The commodities BeanFlows publishes, read from one configuration file (commodities.toml).

A commodity is configuration, not code: its USDA PSD commodity codes, CFTC market codes and
futures symbols decide what ingest lands, what the generic datasets hold (commodity_balance,
commodity_positioning, commodity_prices_daily) and which commodity pages the site renders.
The file is read once per build and handed on as plain data: to ingest as per-source settings
(`source_settings`), to the SQLMesh project as the `commodities` variable (`sql_rows`), to the
site as the list itself. The file is validated before anything runs: a wrong code is a
one-line error naming the file and the commodity, not an empty page weeks later.

Standard library only: models/config.py imports it inside the SQLMesh child.
"""

from __future__ import annotations

import os
import re
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from beanflows import layout

DEFAULT_FILE = layout.REPO / "commodities.toml"
ENV = "BEANFLOWS_COMMODITIES"  # another file, for a build without a settings file
PAGES = ("balance", "positioning", "prices")
# The mass units USDA PSD prints, and each one's size in metric tonnes per unit of `value`
# (values are in thousands of the unit): the generic balance converts to 1000 t with these.
PSD_MASS_UNITS = {
    "(1000 MT)": 1.0,
    "(1000 60 KG BAGS)": 0.06,  # 60 kg bags: 1000 bags = 60 t
    "(1000 480 lb. Bales)": 0.21772,  # 480 lb bales (cotton): 480 x 0.45359237 kg
    "(1000 MT CWE)": 1.0,  # carcass weight equivalent (meats)
}
SLUG = re.compile(r"^[a-z][a-z0-9_]{0,39}$")
CODE = re.compile(r"^[0-9A-Z]{6,7}$")


@dataclass(frozen=True)
class Commodity:
    slug: str  # URL part and the `commodity` column: coffee, sugar, ...
    name: str
    psd_codes: tuple[str, ...]  # USDA PSD Commodity_Code(s)
    psd_unit: str | None  # the mass unit PSD publishes it in (None without PSD codes)
    cot_markets: tuple[str, ...]  # CFTC contract market codes
    symbols: tuple[tuple[str, str], ...]  # (futures symbol, quote unit)
    pages: tuple[str, ...]  # sections of its page, in PAGES order


def path_from(configured: str | Path | None = None) -> Path:
    """The file in force: the settings' `commodities_file`, else $BEANFLOWS_COMMODITIES, else
    the repository's commodities.toml."""
    chosen = configured or os.environ.get(ENV) or DEFAULT_FILE
    return Path(chosen).resolve()


def load(path: Path | None = None) -> tuple[Commodity, ...]:
    """Every configured commodity, in file order; ValueError (one line, naming the file and
    the commodity) for anything the build would not honour."""
    path = path or path_from()
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise ValueError(f"cannot read commodities file {path}: {exc.strerror}") from None
    except tomllib.TOMLDecodeError as exc:
        raise ValueError(f"{path}: not valid TOML: {exc}") from None
    if not data:
        raise ValueError(f"{path}: no commodity configured")
    out = tuple(_commodity(path, slug, spec) for slug, spec in data.items())
    _check_unique(path, out)
    return out


def _codes(path: Path, slug: str, spec: dict[str, Any], key: str) -> tuple[str, ...]:
    codes = spec.get(key, [])
    if not isinstance(codes, list) or not all(isinstance(c, str) for c in codes):
        raise ValueError(f'{path}: [{slug}] {key} must be a list of quoted codes like "083731"')
    bad = [c for c in codes if not CODE.match(c.strip())]
    if bad:
        raise ValueError(f"{path}: [{slug}] {key}: {bad} are not 6-7 digit codes")
    return tuple(c.strip() for c in codes)


def _commodity(path: Path, slug: str, spec: Any) -> Commodity:
    if not SLUG.match(slug) or not isinstance(spec, dict):
        raise ValueError(f"{path}: [{slug}] must be a table named in lower case (a URL part)")
    unknown = set(spec) - {"name", "psd_codes", "psd_unit", "cot_markets", "symbols", "pages"}
    if unknown:
        raise ValueError(f"{path}: [{slug}] unknown keys {sorted(unknown)}")
    psd = _codes(path, slug, spec, "psd_codes")
    unit = spec.get("psd_unit")
    if psd and unit not in PSD_MASS_UNITS:
        raise ValueError(
            f"{path}: [{slug}] psd_unit {unit!r} is not one of {', '.join(PSD_MASS_UNITS)}"
        )
    symbols = spec.get("symbols", {})
    if not isinstance(symbols, dict) or not all(
        isinstance(k, str) and isinstance(v, str) and k and v for k, v in symbols.items()
    ):
        raise ValueError(f'{path}: [{slug}] symbols must map symbol to unit: {{"KC=F" = "..."}}')
    pages = spec.get("pages", list(PAGES))
    if not isinstance(pages, list) or set(pages) - set(PAGES):
        raise ValueError(f"{path}: [{slug}] pages must be a list of {', '.join(PAGES)}")
    return Commodity(
        slug=slug,
        name=str(spec.get("name") or slug.title()),
        psd_codes=psd,
        psd_unit=unit if psd else None,
        cot_markets=_codes(path, slug, spec, "cot_markets"),
        symbols=tuple((k.strip().upper(), v.strip()) for k, v in symbols.items()),
        pages=tuple(p for p in PAGES if p in pages),
    )


def _check_unique(path: Path, commodities: tuple[Commodity, ...]) -> None:
    """A code or symbol names one commodity: two would publish its rows twice."""
    for what, keys in (
        ("PSD code", lambda c: c.psd_codes),
        ("CFTC market", lambda c: c.cot_markets),
        ("symbol", lambda c: [s for s, _ in c.symbols]),
    ):
        seen: dict[str, str] = {}
        for c in commodities:
            for k in keys(c):
                if k in seen:
                    raise ValueError(f"{path}: {what} {k} is in both [{seen[k]}] and [{c.slug}]")
                seen[k] = c.slug


def source_settings(commodities: tuple[Commodity, ...]) -> dict[str, dict[str, Any]]:
    """What each ingest source must land for these commodities (merged into its settings),
    and which commodities each PSD code and symbol serves (a failed file is theirs alone)."""
    by_code: dict[str, list[str]] = {}
    by_symbol: dict[str, list[str]] = {}
    for c in commodities:
        for p in c.psd_codes:
            by_code.setdefault(p, []).append(c.slug)
        for s, _ in c.symbols:
            by_symbol.setdefault(s.upper(), []).append(c.slug)
    return {
        "cftc_cot": {"commodity_markets": sorted({m for c in commodities for m in c.cot_markets})},
        "usda_psd": {
            "commodity_codes": {p: c.psd_unit for c in commodities for p in c.psd_codes},
            "code_commodities": by_code,
        },
        "yahoo_prices": {
            "commodity_symbols": {s: u for c in commodities for s, u in c.symbols},
            "symbol_commodities": by_symbol,
        },
    }


def sql_rows(commodities: tuple[Commodity, ...]) -> list[dict[str, str]]:
    """The `commodities` variable of the SQLMesh project: one row per (commodity, kind, key),
    kind psd / cot / symbol, with the key's unit (PSD mass unit, quote unit)."""
    rows = []
    for c in commodities:
        rows += [{"commodity": c.slug, "kind": "psd", "key": p, "unit": c.psd_unit or ""}
                 for p in c.psd_codes]  # fmt: skip
        rows += [{"commodity": c.slug, "kind": "cot", "key": m, "unit": ""} for m in c.cot_markets]
        rows += [{"commodity": c.slug, "kind": "symbol", "key": s, "unit": u} for s, u in c.symbols]
    return rows
