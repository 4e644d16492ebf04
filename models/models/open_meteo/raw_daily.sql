-- Raw daily Open-Meteo values as landed, region resolved, dates as published.
-- Grain: one row per (raw file, date). Source: Open-Meteo daily responses. Unit: °C, mm.
MODEL (
  name raw.open_meteo_daily,
  kind VIEW,
  description 'Open-Meteo daily responses as landed, every file.'
);

SELECT
  *
FROM READ_PARQUET('landing/open_meteo/daily/*.parquet', union_by_name = TRUE)
