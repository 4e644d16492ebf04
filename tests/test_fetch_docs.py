"""Every [http] setting the code reads is documented, with its real default."""

from __future__ import annotations

from dataclasses import fields
from pathlib import Path

from ingest.fetchguard import Limits

DOC = Path(__file__).resolve().parents[1] / "docs" / "fetching.md"


def test_every_http_setting_is_documented_with_its_default() -> None:
    rows = {
        cells[1].strip("` "): cells[2].strip()
        for line in DOC.read_text().splitlines()
        if line.startswith("| `") and (cells := line.split("|"))
    }
    for f in fields(Limits):
        assert f.name in rows, f"{f.name} missing from docs/fetching.md"
        if f.default == "":  # built at run time (the User-Agent)
            continue
        shown = {str(f.default)} | ({f"{f.default:g}"} if isinstance(f.default, float) else set())
        assert rows[f.name].strip("`") in shown, (f.name, rows[f.name], shown)
