-- Typed ICO statistics, every raw file side by side. `year` is the calendar year, or the
-- first year of the crop year for production and domestic consumption (1990/91 -> 1990).
-- Grain: one row per (flow, country, year, raw_sha256). Source: raw.ico_flows.
-- Unit: tonnes as published (= thousand 60-kg bags x 60).
MODEL (
  name staging.ico_flows,
  kind INCREMENTAL_BY_TIME_RANGE (time_column period_date, partition_by_time_column FALSE),
  start '1960-01-01',
  grain (flow, country, year, raw_sha256),
  audits (
    not_null(columns := (flow, country, year, year_label, value_raw)),
    unique_combination_of_columns(columns := (flow, country, year, raw_sha256)),
    accepted_values(column := year_type, is_in := ('crop', 'calendar')),
    ico_non_negative
  ),
  description 'ICO historical coffee statistics, typed, every raw file.'
);

SELECT
  flow, -- production, domestic_consumption, exports, imports, re_exports, inventories, importers_consumption
  country, -- Country as ICO names it, leading spaces removed
  is_sub_member, -- True when ICO indents the name: a member state listed under a group (the EU)
  coffee_type, -- Crop-year tables: the country's coffee types, predominant first (Arabica/Robusta); NULL for trade tables
  year_label, -- Year column as published: 1990/91 (crop year) or 1990 (calendar year)
  year, -- Calendar year, or first year of the crop year
  year_type, -- crop or calendar
  value_raw, -- Value as published [t]
  _period AS period_date, -- 1 January of `year`
  _release AS as_of, -- Last year covered by the raw file (YYYY-12)
  _raw_sha256 AS raw_sha256, -- sha256 of the raw file
  _line AS raw_line -- Line of the country in the raw file
FROM raw.ico_flows
WHERE
  _period BETWEEN @start_date AND @end_date
