-- Every USDA release's value for every key: bulk releases and report-table releases side by
-- side, so revisions can be read release after release. A corrected re-delivery of a bulk
-- release replaces the earlier delivery (cleaned.usda_psd_corrections lists what it changed).
-- Grain: one row per (release, release_type, country_code, market_year, attribute_id).
-- Source: staging.usda_psd_bulk, staging.usda_psd_report_tables. Unit: 1000 60 kg bags.
MODEL (
  name cleaned.usda_psd_vintages,
  kind INCREMENTAL_BY_TIME_RANGE (time_column release_date, partition_by_time_column FALSE),
  start '2000-01-01',
  grain (release, release_type, country_code, market_year, attribute_id),
  audits (
    not_null(columns := (release, release_type, country_code, market_year, attribute_id)),
    unique_combination_of_columns(
      columns := (release, release_type, country_code, market_year, attribute_id)
    )
  ),
  description 'Every USDA PSD coffee release (bulk and report tables) for every key.'
);

SELECT
  release, -- USDA release (YYYY-MM)
  release_date, -- First day of the release month
  'bulk' AS release_type, -- bulk: full psd_coffee_csv.zip; report_table: PSD Online tables (partial)
  country_code, -- USDA FAS country code
  country, -- Country name
  market_year, -- USDA Market_Year
  attribute_id, -- USDA attribute code
  value, -- Value in that release [1000 60 kg bags]
  raw_sha256 -- sha256 of the raw file
FROM staging.usda_psd_bulk
WHERE
  release_date BETWEEN @start_date AND @end_date AND NOT superseded
UNION ALL
SELECT
  release,
  release_date,
  'report_table' AS release_type,
  country_code,
  country,
  market_year,
  attribute_id,
  value,
  raw_sha256
FROM staging.usda_psd_report_tables
WHERE
  release_date BETWEEN @start_date AND @end_date
