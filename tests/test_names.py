"""Names carry the trail: a dataset, its spec file, its model name and its model file agree.

The rule (beanflows/layout.py): dataset D is listed in models/datasets/<family>.toml and made by
models/models/<family>/serving_D.sql, named serving.D; every other model file
<family>/<layer>_<what>.sql is named <layer>.<family>_<what>; <family> is a source folder of
ingest/ or `combined`. A newcomer can walk from a published file to its SQL by names alone.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from beanflows import layout

# Published dataset names are a public contract: they may be added to, never renamed.
PUBLISHED = {
    "coffee_balance", "cot_disaggregated", "cot_legacy", "cot_positioning", "cot_revisions",
    "fundamentals_monthly", "ice_certified_stocks", "ice_certified_stocks_by_origin",
    "ice_certified_stocks_by_port", "ice_certified_stocks_indicators",
    "ice_certified_stocks_reconciliation", "ico_trade", "price_indicators", "prices_daily",
    "prices_monthly", "prices_monthly_reconciliation", "prices_monthly_vintages", "psd_coffee",
    "psd_coffee_corrections", "psd_coffee_vintages", "weather_alerts", "weather_daily",
    "commodity_balance", "commodity_positioning", "commodity_prices_daily",
}  # fmt: skip
FAMILIES = set(layout.source_names()) | {layout.COMBINED}


def test_no_published_dataset_was_renamed_or_dropped() -> None:
    missing = PUBLISHED - set(layout.dataset_specs())
    assert not missing, f"published datasets gone (a public contract): {sorted(missing)}"


@pytest.mark.parametrize("name", sorted(layout.dataset_specs()))
def test_dataset_spec_model_and_file_agree(name: str) -> None:
    spec = layout.dataset_specs()[name]
    assert spec["family"] in FAMILIES, f"models/datasets/{spec['family']}.toml: no such family"
    assert spec["model"] == f"serving.{name}", f"{name} is made by {spec['model']}"
    expected = f"models/models/{spec['family']}/serving_{name}.sql"
    assert spec["model_file"] == expected, f"{name}: model file {spec['model_file']}"
    model = layout.models()[spec["model"]]
    assert model.family == spec["family"]


@pytest.mark.parametrize("model", sorted(layout.models()), ids=str)
def test_model_name_is_folder_plus_file(model: str) -> None:
    m = layout.models()[model]
    rel = m.path.relative_to(layout.MODELS_DIR).as_posix()
    assert m.family in FAMILIES, f"{rel}: folder {m.family} is neither a source nor combined"
    assert m.layer in layout.LAYERS, f"{rel}: unknown layer {m.layer}"
    assert m.path.stem.startswith(f"{m.layer}_"), f"{rel}: file does not start with {m.layer}_"
    assert model == layout.expected_name(m.path), f"{rel} is named {model}"
    if m.layer == "serving" and m.family != layout.COMBINED:
        # a serving model of a source family reads only its own family (or shared references)
        assert all(layout.models()[d].family in (m.family,) or d.startswith("serving.")
                   for d in m.depends_on), f"{model} reads another source's models"  # fmt: skip


def test_every_serving_model_is_published_and_every_spec_has_a_model() -> None:
    serving = {n for n, m in layout.models().items() if m.layer == "serving"}
    published = {s["model"] for s in layout.dataset_specs().values()}
    assert serving == published, (serving - published, published - serving)


def test_the_rule_catches_a_misnamed_file(tmp_path: Path) -> None:
    """The check above can fail: a file whose name does not say its model is flagged."""
    folder = tmp_path / "models" / "models" / "yahoo_prices"
    folder.mkdir(parents=True)
    (folder / "serving_daily.sql").write_text("MODEL (name serving.prices_daily, kind FULL);\n")
    (tmp_path / "models" / "datasets").mkdir()
    (tmp_path / "models" / "datasets" / "prices.toml").write_text(
        '[prices_daily]\nmodel = "serving.prices_daily"\nsources = ["yahoo_prices"]\n'
    )
    m = layout.models(tmp_path / "models")["serving.prices_daily"]
    assert layout.expected_name(m.path) == "serving.daily" != m.name
    spec = layout.dataset_specs(tmp_path / "models")["prices_daily"]
    assert spec["family"] == "prices" and spec["family"] not in FAMILIES
    assert spec["model_file"] == "models/models/yahoo_prices/serving_daily.sql"
