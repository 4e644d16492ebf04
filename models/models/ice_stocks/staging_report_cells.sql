-- Cells of ICE's daily certified-stock reports, typed: every block (certified, transition,
-- pending grading...), origin and port, including the `Total in Bags` rows and `Total` column.
-- Grain: one row per (date, raw_sha256, block, table_title, origin, port_code).
-- Source: raw.ice_stocks_report_cells. Unit: bags of 60 kg.
MODEL (
  name staging.ice_stocks_report_cells,
  kind INCREMENTAL_BY_TIME_RANGE (time_column date, partition_by_time_column FALSE),
  start '2000-01-01',
  grain (date, raw_sha256, block, table_title, origin, port_code),
  audits (
    not_null(columns := (date, block, origin, port_code, bags, raw_sha256)),
    unique_combination_of_columns(columns := (date, raw_sha256, block, table_title, origin, port_code)),
    stocks_non_negative(column := bags)
  ),
  description 'ICE daily certified stock report cells by block, origin and port, every report file.'
);

SELECT
  date, -- Report day (the As of date in cell A3)
  block, -- certified, transition, grading_summary, pending_grading, flagged_rebagging
  table_title, -- Sub-heading above the table inside the block, '' if none
  origin, -- Origin country as printed; 'Total in Bags' for the block's total row
  port_code, -- Port column as printed (ANT, BAR, HA/BR, HOU, MIAMI, NOLA, NY, VA); 'Total' for the row total
  CAST(bags AS BIGINT) AS bags, -- Bags in that cell [bags of 60 kg]
  is_total_row, -- True for the `Total in Bags` row
  _release AS as_of, -- Report day (YYYY-MM-DD)
  _raw_sha256 AS raw_sha256, -- sha256 of the raw file in the archive
  _line AS raw_line -- Spreadsheet row of the cell
FROM raw.ice_stocks_report_cells
WHERE
  _period BETWEEN @start_date AND @end_date
