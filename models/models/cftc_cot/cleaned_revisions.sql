-- Every published figure of a COT week that a later file changed: key, column, old and new
-- value, and the two files (by release = newest report date in the file, and sha256).
-- Consecutive versions of a week are compared in file order (release, raw_sha256).
-- Grain: one row per (dataset, report_type, market_code, report_date, column_name, new_raw_sha256).
-- Source: staging.cftc_cot_disaggregated, staging.cftc_cot_legacy. Unit: contracts or traders.
MODEL (
  name cleaned.cftc_cot_revisions,
  kind INCREMENTAL_BY_TIME_RANGE (time_column report_date),
  start '1986-01-01',
  grain (dataset, report_type, market_code, report_date, column_name, new_raw_sha256),
  audits (
    unique_combination_of_columns(
      columns := (dataset, report_type, market_code, report_date, column_name, new_raw_sha256)
    )
  ),
  description 'COT figures revised by a later CFTC file: old and new value and both files.'
);

WITH disaggregated_versions AS (
  SELECT
    report_type,
    market_code,
    report_date,
    release,
    raw_sha256,
    values_key,
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
    traders_mm_short,
    LAG(values_key) OVER w AS old_values_key,
    LAG(release) OVER w AS old_release,
    LAG(raw_sha256) OVER w AS old_raw_sha256,
    LAG(open_interest) OVER w AS old_open_interest,
    LAG(prod_merc_long) OVER w AS old_prod_merc_long,
    LAG(prod_merc_short) OVER w AS old_prod_merc_short,
    LAG(swap_long) OVER w AS old_swap_long,
    LAG(swap_short) OVER w AS old_swap_short,
    LAG(swap_spread) OVER w AS old_swap_spread,
    LAG(mm_long) OVER w AS old_mm_long,
    LAG(mm_short) OVER w AS old_mm_short,
    LAG(mm_spread) OVER w AS old_mm_spread,
    LAG(other_long) OVER w AS old_other_long,
    LAG(other_short) OVER w AS old_other_short,
    LAG(other_spread) OVER w AS old_other_spread,
    LAG(nonrept_long) OVER w AS old_nonrept_long,
    LAG(nonrept_short) OVER w AS old_nonrept_short,
    LAG(traders_total) OVER w AS old_traders_total,
    LAG(traders_mm_long) OVER w AS old_traders_mm_long,
    LAG(traders_mm_short) OVER w AS old_traders_mm_short
  FROM staging.cftc_cot_disaggregated
  WHERE
    report_date BETWEEN @start_date AND @end_date
  WINDOW w AS (PARTITION BY report_type, market_code, report_date ORDER BY release, raw_sha256)
), disaggregated_changes AS (
  SELECT
    'cot_disaggregated' AS dataset,
    c.report_type,
    c.market_code,
    c.report_date,
    n.column_name,
    CASE n.column_name
      WHEN 'open_interest' THEN c.old_open_interest
      WHEN 'prod_merc_long' THEN c.old_prod_merc_long
      WHEN 'prod_merc_short' THEN c.old_prod_merc_short
      WHEN 'swap_long' THEN c.old_swap_long
      WHEN 'swap_short' THEN c.old_swap_short
      WHEN 'swap_spread' THEN c.old_swap_spread
      WHEN 'mm_long' THEN c.old_mm_long
      WHEN 'mm_short' THEN c.old_mm_short
      WHEN 'mm_spread' THEN c.old_mm_spread
      WHEN 'other_long' THEN c.old_other_long
      WHEN 'other_short' THEN c.old_other_short
      WHEN 'other_spread' THEN c.old_other_spread
      WHEN 'nonrept_long' THEN c.old_nonrept_long
      WHEN 'nonrept_short' THEN c.old_nonrept_short
      WHEN 'traders_total' THEN c.old_traders_total
      WHEN 'traders_mm_long' THEN c.old_traders_mm_long
      WHEN 'traders_mm_short' THEN c.old_traders_mm_short
    END AS old_value,
    CASE n.column_name
      WHEN 'open_interest' THEN c.open_interest
      WHEN 'prod_merc_long' THEN c.prod_merc_long
      WHEN 'prod_merc_short' THEN c.prod_merc_short
      WHEN 'swap_long' THEN c.swap_long
      WHEN 'swap_short' THEN c.swap_short
      WHEN 'swap_spread' THEN c.swap_spread
      WHEN 'mm_long' THEN c.mm_long
      WHEN 'mm_short' THEN c.mm_short
      WHEN 'mm_spread' THEN c.mm_spread
      WHEN 'other_long' THEN c.other_long
      WHEN 'other_short' THEN c.other_short
      WHEN 'other_spread' THEN c.other_spread
      WHEN 'nonrept_long' THEN c.nonrept_long
      WHEN 'nonrept_short' THEN c.nonrept_short
      WHEN 'traders_total' THEN c.traders_total
      WHEN 'traders_mm_long' THEN c.traders_mm_long
      WHEN 'traders_mm_short' THEN c.traders_mm_short
    END AS new_value,
    c.old_release,
    c.release AS new_release,
    c.old_raw_sha256,
    c.raw_sha256 AS new_raw_sha256
  FROM disaggregated_versions AS c
  CROSS JOIN (
    VALUES
      ('open_interest'),
      ('prod_merc_long'),
      ('prod_merc_short'),
      ('swap_long'),
      ('swap_short'),
      ('swap_spread'),
      ('mm_long'),
      ('mm_short'),
      ('mm_spread'),
      ('other_long'),
      ('other_short'),
      ('other_spread'),
      ('nonrept_long'),
      ('nonrept_short'),
      ('traders_total'),
      ('traders_mm_long'),
      ('traders_mm_short')
  ) AS n(column_name)
  WHERE
    NOT c.old_values_key IS NULL AND c.old_values_key <> c.values_key
), legacy_versions AS (
  SELECT
    report_type,
    market_code,
    report_date,
    release,
    raw_sha256,
    values_key,
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
    traders_noncomm_short,
    LAG(values_key) OVER w AS old_values_key,
    LAG(release) OVER w AS old_release,
    LAG(raw_sha256) OVER w AS old_raw_sha256,
    LAG(open_interest) OVER w AS old_open_interest,
    LAG(noncomm_long) OVER w AS old_noncomm_long,
    LAG(noncomm_short) OVER w AS old_noncomm_short,
    LAG(noncomm_spread) OVER w AS old_noncomm_spread,
    LAG(comm_long) OVER w AS old_comm_long,
    LAG(comm_short) OVER w AS old_comm_short,
    LAG(nonrept_long) OVER w AS old_nonrept_long,
    LAG(nonrept_short) OVER w AS old_nonrept_short,
    LAG(traders_total) OVER w AS old_traders_total,
    LAG(traders_noncomm_long) OVER w AS old_traders_noncomm_long,
    LAG(traders_noncomm_short) OVER w AS old_traders_noncomm_short
  FROM staging.cftc_cot_legacy
  WHERE
    report_date BETWEEN @start_date AND @end_date
  WINDOW w AS (PARTITION BY report_type, market_code, report_date ORDER BY release, raw_sha256)
), legacy_changes AS (
  SELECT
    'cot_legacy' AS dataset,
    c.report_type,
    c.market_code,
    c.report_date,
    n.column_name,
    CASE n.column_name
      WHEN 'open_interest' THEN c.old_open_interest
      WHEN 'noncomm_long' THEN c.old_noncomm_long
      WHEN 'noncomm_short' THEN c.old_noncomm_short
      WHEN 'noncomm_spread' THEN c.old_noncomm_spread
      WHEN 'comm_long' THEN c.old_comm_long
      WHEN 'comm_short' THEN c.old_comm_short
      WHEN 'nonrept_long' THEN c.old_nonrept_long
      WHEN 'nonrept_short' THEN c.old_nonrept_short
      WHEN 'traders_total' THEN c.old_traders_total
      WHEN 'traders_noncomm_long' THEN c.old_traders_noncomm_long
      WHEN 'traders_noncomm_short' THEN c.old_traders_noncomm_short
    END AS old_value,
    CASE n.column_name
      WHEN 'open_interest' THEN c.open_interest
      WHEN 'noncomm_long' THEN c.noncomm_long
      WHEN 'noncomm_short' THEN c.noncomm_short
      WHEN 'noncomm_spread' THEN c.noncomm_spread
      WHEN 'comm_long' THEN c.comm_long
      WHEN 'comm_short' THEN c.comm_short
      WHEN 'nonrept_long' THEN c.nonrept_long
      WHEN 'nonrept_short' THEN c.nonrept_short
      WHEN 'traders_total' THEN c.traders_total
      WHEN 'traders_noncomm_long' THEN c.traders_noncomm_long
      WHEN 'traders_noncomm_short' THEN c.traders_noncomm_short
    END AS new_value,
    c.old_release,
    c.release AS new_release,
    c.old_raw_sha256,
    c.raw_sha256 AS new_raw_sha256
  FROM legacy_versions AS c
  CROSS JOIN (
    VALUES
      ('open_interest'),
      ('noncomm_long'),
      ('noncomm_short'),
      ('noncomm_spread'),
      ('comm_long'),
      ('comm_short'),
      ('nonrept_long'),
      ('nonrept_short'),
      ('traders_total'),
      ('traders_noncomm_long'),
      ('traders_noncomm_short')
  ) AS n(column_name)
  WHERE
    NOT c.old_values_key IS NULL AND c.old_values_key <> c.values_key
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
FROM (
  SELECT * FROM disaggregated_changes
  UNION ALL
  SELECT * FROM legacy_changes
) AS changes
WHERE
  old_value IS DISTINCT FROM new_value
