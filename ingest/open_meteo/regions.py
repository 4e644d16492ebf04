"""The configured growing regions (source.toml) and matching a response's grid cell to one."""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from ingest.errors import SourceError

SOURCE = "open_meteo"
CONFIG = Path(__file__).with_name("source.toml")


@dataclass(frozen=True)
class Region:
    key: str
    name: str
    country: str
    coffee: str
    latitude: float
    longitude: float
    timezone: str


@cache
def config() -> dict:
    with CONFIG.open("rb") as fh:
        return tomllib.load(fh)


def all_regions() -> list[Region]:
    return [
        Region(key, r["name"], r["country"], r["coffee"], float(r["latitude"]),
               float(r["longitude"]), r["timezone"])
        for key, r in config()["regions"].items()
    ]  # fmt: skip


def match(lat: float, lon: float, name: str) -> Region:
    """The configured region nearest to the response's grid cell, within the tolerance.

    The file name may name a region (our own requests do: `<region>_archive_2024.json`); it
    must then agree with the coordinates, so a mislabelled file cannot land under another name.
    """
    tol = float(config().get("match_tolerance_degrees", 0.25))
    near = [
        (max(abs(r.latitude - lat), abs(r.longitude - lon)), r.key, r)
        for r in all_regions()
        if abs(r.latitude - lat) <= tol and abs(r.longitude - lon) <= tol
    ]
    if not near:
        raise SourceError(
            SOURCE, name,
            f"grid cell ({lat}, {lon}) is not within {tol} degrees of any configured region "
            f"(ingest/open_meteo/source.toml [regions])",
        )  # fmt: skip
    region = min(near)[2]
    stem = Path(name).stem
    named = [r.key for r in all_regions() if re.match(rf"^{re.escape(r.key)}(_|$)", stem)]
    if named and named[0] != region.key:
        raise SourceError(
            SOURCE, name, f"file is named for region {named[0]} but its grid cell ({lat}, {lon}) "
            f"is in {region.key}",
        )  # fmt: skip
    return region
