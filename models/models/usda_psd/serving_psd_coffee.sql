-- USDA's current view of coffee supply and distribution: every row of the newest bulk release
-- (a country-year is never mixed across releases).
-- Grain: one row per (country_code, market_year, attribute_id). Source: cleaned.usda_psd_vintages
-- (bulk releases only). Unit: 1000 60 kg bags.
MODEL (
  name serving.psd_coffee,
  kind VIEW, -- a cheap projection: no second copy of every row; its audits still run
  grain (country_code, market_year, attribute_id),
  audits (
    not_null(columns := (country_code, market_year, attribute_id, value, release)),
    unique_combination_of_columns(columns := (country_code, market_year, attribute_id))
  ),
  description 'USDA PSD coffee balance items by country and market year, newest bulk release.'
);

WITH latest AS (
  SELECT
    MAX(release) AS release
  FROM cleaned.usda_psd_vintages
  WHERE
    release_type = 'bulk'
)
SELECT
  a.commodity_code, -- USDA commodity code (0711100 = Coffee, Green)
  a.commodity, -- USDA commodity name
  v.country_code, -- USDA FAS country code (not ISO; E4 = European Union, EU-28 before 2017)
  v.country, -- Country name as USDA prints it
  v.market_year, -- USDA Market_Year as in the bulk file: 2023 holds the 2022/23 crop
  CAST(v.market_year - 1 AS VARCHAR) || '/' || LPAD(CAST(MOD(v.market_year, 100) AS VARCHAR), 2, '0') AS marketing_year, -- Year label USDA's report tables print, e.g. 2022/23
  v.attribute_id, -- USDA attribute code
  a.attribute, -- Attribute name in the newest release
  a.unit, -- Unit as published
  CAST(v.value AS DOUBLE) AS value, -- Value [1000 60 kg bags]
  v.release, -- USDA release the row comes from (YYYY-MM)
  v.raw_sha256 -- sha256 of the bulk raw file (psd_coffee_csv.zip) the row comes from; one file per row
FROM cleaned.usda_psd_vintages AS v
JOIN latest
  ON v.release = latest.release
JOIN cleaned.usda_psd_attributes AS a
  ON v.attribute_id = a.attribute_id
WHERE
  v.release_type = 'bulk'
