-- Daily Open-Meteo responses, typed. `date` is a calendar day in the response's `timezone`:
-- our requests ask for the region's own zone, so it is the local day; a response in another
-- zone (e.g. GMT) keeps that zone in `day_timezone` and is not mixed with local days silently.
-- Grain: one row per (raw_sha256, region, date). Source: raw.open_meteo_daily. Unit: °C, mm.
MODEL (
  name staging.open_meteo_daily,
  kind INCREMENTAL_BY_TIME_RANGE (time_column period_date, partition_by_time_column FALSE),
  start '2000-01-01',
  grain (raw_sha256, region, date),
  audits (
    not_null(columns := (region, date, raw_sha256)),
    unique_combination_of_columns(columns := (raw_sha256, region, date)),
    weather_plausible
  ),
  description 'Open-Meteo daily responses, typed, per raw file.'
);

SELECT
  region, -- Configured region key
  date, -- Calendar day in day_timezone
  temperature_2m_min AS tmin_c, -- Daily minimum 2 m temperature [°C]
  temperature_2m_max AS tmax_c, -- Daily maximum 2 m temperature [°C]
  precipitation_sum AS precip_mm, -- Daily precipitation sum [mm]
  timezone AS day_timezone, -- Time zone of the response, whose calendar day `date` is
  timezone = region_timezone OR (timezone IN ('GMT', 'UTC') AND region_timezone IN ('GMT', 'UTC')) AS is_local_day, -- True when the day is the region's local day
  api_kind, -- archive (observed/analysis) or forecast
  _release AS as_of, -- Last day (archive) or issue day (forecast) of the raw file
  _period AS period_date, -- Day (archive) or the day before the issue day (forecast)
  _raw_sha256 AS raw_sha256 -- sha256 of the raw file
FROM raw.open_meteo_daily
WHERE
  _period BETWEEN @start_date AND @end_date
