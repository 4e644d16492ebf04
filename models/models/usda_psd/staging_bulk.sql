-- Typed USDA PSD bulk rows, one release at a time; exact duplicate lines collapsed. A release
-- delivered twice with different content (USDA corrected the file) keeps both deliveries:
-- the later one wins downstream, the earlier one is marked superseded (and its changes are
-- listed in cleaned.usda_psd_corrections).
-- Grain: one row per (release, raw_sha256, country_code, market_year, attribute_id).
-- Source: raw.usda_psd_bulk, raw.usda_psd_deliveries.
-- Unit: value in the file's unit, (1000 60 KG BAGS) for coffee (checked by an audit).
MODEL (
  name staging.usda_psd_bulk,
  kind INCREMENTAL_BY_TIME_RANGE (time_column release_date, partition_by_time_column FALSE),
  start '2000-01-01',
  grain (release, raw_sha256, country_code, market_year, attribute_id),
  audits (
    not_null(columns := (release, country_code, market_year, attribute_id, value)),
    unique_combination_of_columns(
      columns := (release, raw_sha256, country_code, market_year, attribute_id)
    ),
    accepted_values(column := unit, is_in := ('(1000 60 KG BAGS)')),
    psd_market_year_range
  ),
  description 'USDA PSD coffee bulk rows, typed; one row per release, delivery and key.'
);

WITH typed AS (
  SELECT
    TRIM(commodity_code) AS commodity_code, -- USDA commodity code, leading zeros kept
    TRIM(commodity_description) AS commodity, -- USDA commodity name
    TRIM(country_code) AS country_code, -- USDA FAS country code (not ISO)
    TRIM(country_name) AS country, -- Country name as USDA prints it
    CAST(TRIM(market_year) AS INT) AS market_year, -- USDA Market_Year
    TRIM(attribute_id) AS attribute_id, -- USDA attribute code, leading zeros kept
    TRIM(attribute_description) AS attribute, -- USDA attribute name (spelling may drift)
    TRIM(unit_description) AS unit, -- Unit as published
    CAST(TRIM(value) AS DECIMAL(18, 4)) AS value, -- Value as published [1000 60 kg bags]
    CAST(TRIM(calendar_year) AS INT) AS updated_year, -- Year of USDA's last update of this row
    CAST(TRIM(month) AS INT) AS updated_month, -- Month of USDA's last update of this row
    _release AS release, -- USDA release the file belongs to (YYYY-MM)
    _period AS release_date, -- First day of the release month
    _raw_sha256 AS raw_sha256, -- sha256 of the raw file in the archive
    MIN(_line) AS raw_line -- First line of the row in the raw file
  FROM raw.usda_psd_bulk
  WHERE
    _period BETWEEN @start_date AND @end_date
  GROUP BY
    1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14
), files AS (
  SELECT DISTINCT
    t.release,
    t.raw_sha256,
    COALESCE(d.seq, -1) AS seq
  FROM typed AS t
  LEFT JOIN raw.usda_psd_deliveries AS d
    ON d.raw_sha256 = t.raw_sha256
), latest AS (
  SELECT
    release,
    MAX(seq) AS seq
  FROM files
  GROUP BY
    release
)
SELECT
  t.commodity_code, -- USDA commodity code, leading zeros kept
  t.commodity, -- USDA commodity name
  t.country_code, -- USDA FAS country code (not ISO)
  t.country, -- Country name as USDA prints it
  t.market_year, -- USDA Market_Year
  t.attribute_id, -- USDA attribute code, leading zeros kept
  t.attribute, -- USDA attribute name (spelling may drift)
  t.unit, -- Unit as published
  t.value, -- Value as published [1000 60 kg bags]
  t.updated_year, -- Year of USDA's last update of this row
  t.updated_month, -- Month of USDA's last update of this row
  t.release, -- USDA release the file belongs to (YYYY-MM)
  t.release_date, -- First day of the release month
  t.raw_sha256, -- sha256 of the raw file in the archive
  t.raw_line, -- First line of the row in the raw file
  f.seq < l.seq AS superseded -- A later delivery of the same release replaced this file
FROM typed AS t
JOIN files AS f
  ON f.release = t.release AND f.raw_sha256 = t.raw_sha256
JOIN latest AS l
  ON l.release = t.release
