-- Raw hourly Open-Meteo values as landed, region resolved, times as published plus UTC.
-- Grain: one row per (raw file, time step). Source: Open-Meteo hourly responses. Unit: °C, mm.
MODEL (
  name raw.open_meteo_hourly,
  kind VIEW,
  description 'Open-Meteo hourly responses as landed, every file.'
);

SELECT
  *
FROM @landing(@landing_root, 'open_meteo/hourly')
