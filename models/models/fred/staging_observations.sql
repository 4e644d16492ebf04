-- FRED observations per vintage: FRED revises history, so every vintage is kept side by side.
-- Missing values (`.` in the file) are dropped. When two different files carry the same
-- vintage label, the one with the higher sha256 is kept (deterministic).
-- Grain: one row per (vintage, series_id, date). Source: raw.fred_observations.
-- Unit: US cents/lb for the configured coffee series (FRED's own unit, no conversion).
MODEL (
  name staging.fred_observations,
  kind INCREMENTAL_BY_TIME_RANGE (time_column date, partition_by_time_column FALSE),
  start '1960-01-01',
  grain (vintage, series_id, date),
  audits (
    not_null(columns := (vintage, series_id, date, value)),
    unique_combination_of_columns(columns := (vintage, series_id, date)),
    price_positive(columns := (price)),
    price_converted(column := price, value := CASE WHEN configured THEN value END)
  ),
  description 'FRED monthly observations, every vintage, typed; missing values dropped.'
);

SELECT
  _release AS vintage, -- FRED vintage (YYYY-MM): month after the last observation, or the fred_vintage_YYYY-MM folder
  series_id, -- FRED series id, e.g. PCOFFOTMUSDM
  coffee_type, -- arabica (Other Mild Arabica) or robusta; NULL for unconfigured series
  date, -- First day of the month observed
  value, -- Value as published [unit]
  unit, -- Unit FRED states for the series
  CASE unit WHEN 'US cents/lb' THEN value END AS price, -- Monthly average price [US cents/lb]
  configured, -- Series listed in ingest/fred/source.toml (published)
  _raw_sha256 AS raw_sha256, -- sha256 of the raw file
  _line AS raw_line -- Line in the raw file
FROM @release_rows(raw.fred_observations, @start_date, @end_date) AS ranked
