-- Every certified-stock per-port daily total from every raw file: ICE's daily report (the
-- certified block's `Total in Bags` row) and the per-port JSON, port codes as published.
-- Grain: one row per (date, origin_form, raw_sha256, port_code). Source: raw.ice_stocks_ports,
-- raw.ice_stocks_report_cells. Unit: bags of 60 kg.
MODEL (
  name staging.ice_stocks_port_observations,
  kind INCREMENTAL_BY_TIME_RANGE (time_column date, partition_by_time_column FALSE),
  start '2000-01-01',
  grain (date, origin_form, raw_sha256, port_code),
  audits (
    not_null(columns := (date, port_code, bags, origin_form, raw_sha256)),
    unique_combination_of_columns(columns := (date, origin_form, raw_sha256, port_code)),
    stocks_non_negative(column := bags)
  ),
  description 'ICE certified Arabica stocks per port and day from every raw file, port codes as published.'
);

SELECT
  date, -- Trading day the stock count is for
  port_code, -- Port code as published (JSON: NYK, HAM, ANT...; ICE report: NY, HA/BR, ANT...)
  CAST(bags AS BIGINT) AS bags, -- Certified stock in that port [bags of 60 kg]
  origin_form, -- ice_report_xls or ports_json
  _release AS as_of, -- Newest date in the raw file (its as-of)
  _raw_sha256 AS raw_sha256 -- sha256 of the raw file in the archive
FROM raw.ice_stocks_ports
WHERE
  _period BETWEEN @start_date AND @end_date
UNION ALL
SELECT
  date,
  port_code,
  CAST(bags AS BIGINT) AS bags,
  'ice_report_xls' AS origin_form,
  _release AS as_of,
  _raw_sha256 AS raw_sha256
FROM raw.ice_stocks_report_cells
WHERE
  block = 'certified'
  AND is_total_row
  AND port_code <> 'Total'
  AND _period BETWEEN @start_date AND @end_date
