-- Every certified-stock daily total from every raw file and every form, typed, side by side:
-- ICE's own daily report (the certified block's `Total in Bags` x `Total`), the CSV series and
-- the per-port JSON. Nothing is chosen or averaged here.
-- Grain: one row per (date, origin_form, raw_sha256). Source: raw.ice_stocks_totals,
-- raw.ice_stocks_report_cells. Unit: bags of 60 kg.
MODEL (
  name staging.ice_stocks_observations,
  kind INCREMENTAL_BY_TIME_RANGE (time_column date, partition_by_time_column FALSE),
  start '2000-01-01',
  grain (date, origin_form, raw_sha256),
  audits (
    not_null(columns := (date, bags, origin_form, raw_sha256)),
    unique_combination_of_columns(columns := (date, origin_form, raw_sha256)),
    accepted_values(column := origin_form, is_in := ('ice_report_xls', 'series_csv', 'ports_json')),
    stocks_non_negative(column := bags)
  ),
  description 'ICE certified Arabica stock totals per day from every raw file and form, unreconciled.'
);

SELECT
  date, -- Trading day the stock count is for
  CAST(bags AS BIGINT) AS bags, -- Certified stock on that day [bags of 60 kg]
  origin_form, -- ice_report_xls = ICE daily .xls; series_csv = semicolon CSV export; ports_json = per-port JSON
  _release AS as_of, -- Newest date in the raw file (its as-of)
  _raw_sha256 AS raw_sha256, -- sha256 of the raw file in the archive
  _line AS raw_line -- Line (xls: row) of the value in the raw file
FROM raw.ice_stocks_totals
WHERE
  _period BETWEEN @start_date AND @end_date
UNION ALL
SELECT
  date,
  CAST(bags AS BIGINT) AS bags,
  'ice_report_xls' AS origin_form,
  _release AS as_of,
  _raw_sha256 AS raw_sha256,
  _line AS raw_line
FROM raw.ice_stocks_report_cells
WHERE
  block = 'certified'
  AND is_total_row
  AND port_code = 'Total'
  AND _period BETWEEN @start_date AND @end_date
