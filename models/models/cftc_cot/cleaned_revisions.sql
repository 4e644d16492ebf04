-- Every published figure of a COT week that a later file changed: key, column, old and new
-- value, and the two files (by release = newest report date in the file, and sha256).
-- Consecutive versions of a week are compared in file order (release, raw_sha256).
-- Grain: one row per (dataset, report_type, market_code, report_date, column_name, new_raw_sha256).
-- Source: staging.cftc_cot_disaggregated, staging.cftc_cot_legacy. Unit: contracts or traders.
MODEL (
  name cleaned.cftc_cot_revisions,
  kind INCREMENTAL_BY_TIME_RANGE (time_column report_date, partition_by_time_column FALSE),
  start '1986-01-01',
  grain (dataset, report_type, market_code, report_date, column_name, new_raw_sha256),
  audits (
    unique_combination_of_columns(
      columns := (dataset, report_type, market_code, report_date, column_name, new_raw_sha256)
    )
  ),
  description 'COT figures revised by a later CFTC file: old and new value and both files.'
);

WITH changes AS (
  SELECT * FROM @cot_revisions(
    'cot_disaggregated', staging.cftc_cot_disaggregated, @start_date, @end_date,
    open_interest,
    prod_merc_long,
    prod_merc_short,
    swap_long,
    swap_short,
    swap_spread,
    mm_long,
    mm_short,
    mm_spread,
    other_long,
    other_short,
    other_spread,
    nonrept_long,
    nonrept_short,
    traders_total,
    traders_mm_long,
    traders_mm_short
  ) AS d
  UNION ALL
  SELECT * FROM @cot_revisions(
    'cot_legacy', staging.cftc_cot_legacy, @start_date, @end_date,
    open_interest,
    noncomm_long,
    noncomm_short,
    noncomm_spread,
    comm_long,
    comm_short,
    nonrept_long,
    nonrept_short,
    traders_total,
    traders_noncomm_long,
    traders_noncomm_short
  ) AS l
)
SELECT
  dataset, -- Dataset whose figure changed (cot_disaggregated or cot_legacy)
  report_type, -- futures_only or combined
  market_code, -- CFTC contract market code
  report_date, -- Week (Tuesday) whose figure changed
  column_name, -- Column of that dataset that changed
  old_value, -- Value in the earlier file [contracts or traders]
  new_value, -- Value in the later file [contracts or traders]
  old_release, -- Newest report date of the earlier file
  new_release, -- Newest report date of the later file
  old_raw_sha256, -- sha256 of the earlier raw file
  new_raw_sha256 -- sha256 of the later raw file
FROM changes
WHERE
  old_value IS DISTINCT FROM new_value
