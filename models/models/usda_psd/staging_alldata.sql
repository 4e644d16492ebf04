-- Typed USDA PSD all-commodities rows of the configured commodities, one release at a time,
-- each with its commodity (commodities.toml) and its value in 1000 metric tonnes where the
-- row's unit is the commodity's configured mass unit. Exact duplicate lines collapse; a row
-- whose unit is a PSD mass unit other than the configured one is a unit change upstream and
-- stops the model (audit psd_unit_configured), whatever the other commodities do.
-- Grain: one row per (release, raw_sha256, commodity_code, country_code, market_year, attribute_id).
-- Source: raw.usda_psd_alldata. Unit: value as published (unit), value_1000t [1000 t].
MODEL (
  name staging.usda_psd_alldata,
  kind INCREMENTAL_BY_TIME_RANGE (time_column release_date, partition_by_time_column FALSE),
  start '2000-01-01',
  grain (release, raw_sha256, commodity_code, country_code, market_year, attribute_id),
  audits (
    not_null(columns := (release, commodity, commodity_code, country_code, market_year, attribute_id)),
    unique_combination_of_columns(
      columns := (release, raw_sha256, commodity_code, country_code, market_year, attribute_id)
    ),
    psd_unit_configured,
    psd_market_year_range
  ),
  description 'USDA PSD rows of the configured commodities from the all-commodities file, typed, with 1000 t values.'
);

WITH typed AS (
  SELECT
    TRIM(commodity_code) AS commodity_code,
    TRIM(commodity_description) AS commodity_description,
    TRIM(country_code) AS country_code,
    TRIM(country_name) AS country,
    CAST(TRIM(market_year) AS INT) AS market_year,
    TRIM(attribute_id) AS attribute_id,
    TRIM(attribute_description) AS attribute,
    TRIM(unit_description) AS unit,
    CAST(TRIM(value) AS DECIMAL(18, 4)) AS value,
    _release AS release,
    _period AS release_date,
    _raw_sha256 AS raw_sha256,
    MIN(_line) AS raw_line
  FROM raw.usda_psd_alldata
  WHERE
    _period BETWEEN @start_date AND @end_date
  GROUP BY
    1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12
)
SELECT
  k.commodity, -- Commodity (commodities.toml) the USDA code belongs to
  t.commodity_code, -- USDA commodity code, leading zeros kept
  t.commodity_description, -- USDA commodity name
  t.country_code, -- USDA FAS country code (not ISO)
  t.country, -- Country name as USDA prints it
  t.market_year, -- USDA Market_Year
  t.attribute_id, -- USDA attribute code, leading zeros kept
  t.attribute, -- USDA attribute name
  t.unit, -- Unit as published
  t.value, -- Value as published [unit]
  CASE WHEN t.unit = k.unit THEN CAST(t.value AS DOUBLE) * k.to_1000t END AS value_1000t, -- Value in thousand metric tonnes when unit is the commodity's mass unit [1000 t]
  k.unit AS configured_unit, -- The commodity's mass unit as configured
  t.unit IN @psd_mass_units() AND t.unit <> k.unit AS unit_changed, -- A mass unit other than the configured one
  t.release, -- USDA release the file belongs to (YYYY-MM)
  t.release_date, -- First day of the release month
  t.raw_sha256, -- sha256 of the raw file in the archive
  t.raw_line -- First line of the row in the raw file
FROM typed AS t
JOIN @commodity_keys('psd', k)
  ON k.key = t.commodity_code
