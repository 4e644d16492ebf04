-- Hourly Open-Meteo responses aggregated to the region's local calendar day (the extractor
-- read each time in the response's `timezone` and assigned it to a day in the region's time
-- zone, e.g. America/Sao_Paulo): tmin/tmax = min/max of hourly 2 m temperature, precip = sum
-- of hourly precipitation (each hour's value is the preceding hour's total, as in Open-Meteo's
-- own daily sums). A day is complete when it has every hour of the local day (24, or 23/25 on
-- DST changes) with a temperature; incomplete days (the ends of a UTC-stamped download) are
-- kept here but flagged.
-- Grain: one row per (raw_sha256, region, date). Source: raw.open_meteo_hourly. Unit: °C, mm.
MODEL (
  name staging.open_meteo_hourly_days,
  kind INCREMENTAL_BY_TIME_RANGE (time_column period_date, partition_by_time_column FALSE),
  start '2000-01-01',
  grain (raw_sha256, region, date),
  audits (
    not_null(columns := (region, date, raw_sha256, hours)),
    unique_combination_of_columns(columns := (raw_sha256, region, date)),
    weather_plausible
  ),
  description 'Open-Meteo hourly responses aggregated to local days, per raw file.'
);

SELECT
  region, -- Configured region key
  local_date AS date, -- Calendar day in the region's time zone
  MIN(temperature_2m) AS tmin_c, -- Lowest hourly 2 m temperature of the local day [°C]
  MAX(temperature_2m) AS tmax_c, -- Highest hourly 2 m temperature of the local day [°C]
  ROUND(SUM(precipitation), 2) AS precip_mm, -- Sum of hourly precipitation over the local day [mm]
  COUNT(temperature_2m) AS hours, -- Hours with a temperature in the local day
  COUNT(temperature_2m) = MAX(local_day_hours) AND COUNT(precipitation) = MAX(local_day_hours) AS is_complete, -- Every hour of the local day present
  MAX(region_timezone) AS day_timezone, -- Time zone whose calendar day `date` is
  api_kind, -- archive (observed/analysis) or forecast
  _release AS as_of, -- Last day (archive) or issue day (forecast) of the raw file
  _period AS period_date, -- Local day (archive) or the day before the issue day (forecast)
  _raw_sha256 AS raw_sha256 -- sha256 of the raw file
FROM raw.open_meteo_hourly
WHERE
  _period BETWEEN @start_date AND @end_date
GROUP BY
  region,
  local_date,
  api_kind,
  _release,
  _period,
  _raw_sha256
