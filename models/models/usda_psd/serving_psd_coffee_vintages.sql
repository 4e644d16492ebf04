-- Every USDA release's figure for every key, bulk and report-table releases alike, so a reader
-- can see how each estimate was revised. Published to paid plans only.
-- Grain: one row per (release, release_type, country_code, market_year, attribute_id).
-- Source: cleaned.usda_psd_vintages. Unit: 1000 60 kg bags.
MODEL (
  name serving.psd_coffee_vintages,
  kind VIEW, -- a cheap projection: no second copy of every row; its audits still run
  grain (release, release_type, country_code, market_year, attribute_id),
  description 'Every USDA PSD coffee release (bulk and report tables) for every key: revisions.'
);

SELECT
  v.release, -- USDA release (YYYY-MM)
  v.release_type, -- bulk = full psd_coffee_csv.zip; report_table = PSD Online report tables (partial)
  v.country_code, -- USDA FAS country code; WORLD = USDA's own Total row (report tables)
  v.country, -- Country name
  v.market_year, -- USDA Market_Year (2023 holds the 2022/23 crop)
  CAST(v.market_year - 1 AS VARCHAR) || '/' || LPAD(CAST(MOD(v.market_year, 100) AS VARCHAR), 2, '0') AS marketing_year, -- Year label as in USDA's report tables
  v.attribute_id, -- USDA attribute code
  COALESCE(a.attribute, v.attribute_id) AS attribute, -- Attribute name (newest bulk spelling)
  CAST(v.value AS DOUBLE) AS value, -- Value in that release [1000 60 kg bags]
  v.raw_sha256 -- sha256 of the raw file the figure is read from: the release's bulk file, or for report tables the first (by sha256) of the release's tables printing that figure; one file per row
FROM cleaned.usda_psd_vintages AS v
LEFT JOIN cleaned.usda_psd_attributes AS a
  ON v.attribute_id = a.attribute_id
