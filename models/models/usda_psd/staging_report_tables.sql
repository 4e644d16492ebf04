-- Typed USDA PSD Online report-table rows; the tables repeat figures across files, so
-- identical (release, country, year, attribute, value) rows collapse to one.
-- Grain: one row per (release, country_code, market_year, attribute_id). Source: PSD Online
-- report tables. Unit: 1000 60 kg bags (the tables' stated unit).
MODEL (
  name staging.usda_psd_report_tables,
  kind INCREMENTAL_BY_TIME_RANGE (time_column release_date, partition_by_time_column FALSE),
  start '2000-01-01',
  grain (release, country_code, market_year, attribute_id),
  audits (
    not_null(columns := (release, country_code, market_year, attribute_id, value)),
    unique_combination_of_columns(columns := (release, country_code, market_year, attribute_id))
  ),
  description 'USDA PSD Online report-table figures, typed; one row per release and key.'
);

SELECT
  country_code, -- USDA FAS country code; WORLD for the tables' Total row
  MIN(country_name) AS country, -- Country name as printed in the tables
  market_year, -- Market_Year as in the bulk file (label start year + 1)
  MIN(year_label) AS marketing_year, -- Year label as printed, e.g. 2022/23
  attribute_id, -- USDA attribute code
  MIN(attribute) AS attribute, -- Section title as printed
  CAST(value AS DECIMAL(18, 4)) AS value, -- Value as published [1000 60 kg bags]
  BOOL_OR(is_forecast) AS is_forecast, -- The release's own forecast column
  _release AS release, -- USDA release (YYYY-MM) read from the forecast column label
  _period AS release_date, -- First day of the release month
  MIN(_raw_sha256) AS raw_sha256 -- sha256 of (one of) the raw files
FROM raw.usda_psd_report_tables
WHERE
  _period BETWEEN @start_date AND @end_date
GROUP BY
  country_code,
  market_year,
  attribute_id,
  CAST(value AS DECIMAL(18, 4)),
  _release,
  _period
