-- Raw daily Open-Meteo values as landed, region resolved, dates as published.
-- Grain: one row per (raw file, date). Source: Open-Meteo daily responses. Unit: °C, mm.
MODEL (
  name raw.open_meteo_daily,
  kind VIEW,
  description 'Open-Meteo daily responses as landed, every file.'
);

SELECT
  *
FROM @landing(@landing_root, 'open_meteo/daily')
