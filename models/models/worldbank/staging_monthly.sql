-- World Bank Pink Sheet monthly coffee prices per release, converted from $/kg to US cents/lb:
--   price = value x 100 / 2.20462   (100 cents per dollar, 2.20462 lb per kg).
-- Missing months (`…` in the sheet) are dropped. Two different workbooks with the same
-- release date: the higher sha256 is kept (deterministic).
-- Grain: one row per (release, series_id, date). Source: raw.worldbank_monthly. Unit: US cents/lb.
MODEL (
  name staging.worldbank_monthly,
  kind INCREMENTAL_BY_TIME_RANGE (time_column date, partition_by_time_column FALSE),
  start '1960-01-01',
  grain (release, series_id, date),
  audits (
    not_null(columns := (release, series_id, date, value, price)),
    unique_combination_of_columns(columns := (release, series_id, date)),
    price_positive(columns := (value, price))
  ),
  description 'World Bank Pink Sheet monthly coffee prices, every release, in US cents/lb.'
);

SELECT
  _release AS release, -- Release of the workbook: its "Updated on" date (YYYY-MM-DD)
  series_id, -- BeanFlows id of the column: COFFEE_ARABIC, COFFEE_ROBUS
  header AS series_name, -- Column header in the sheet, e.g. Coffee, Arabica
  coffee_type, -- arabica or robusta
  month_label, -- Month as printed in the sheet, e.g. 2022M09
  date, -- First day of the month
  value, -- Price as published [$/kg]
  unit, -- Unit row of the sheet, ($/kg)
  CASE unit WHEN '($/kg)' THEN value * 100 / 2.20462 END AS price, -- Monthly average price [US cents/lb]
  _raw_sha256 AS raw_sha256, -- sha256 of the raw workbook
  _line AS raw_line -- Row of the sheet
FROM @release_rows(raw.worldbank_monthly, @start_date, @end_date) AS ranked
