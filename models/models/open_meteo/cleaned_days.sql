-- One weather value per region and day, chosen among every raw file that covers it, in order:
-- observed (archive) before forecast; the region's local day before a day in another zone;
-- the newest file (as_of), then a daily response before an hourly aggregate; smallest sha256.
-- Incomplete local days of hourly files are never used. Nothing is averaged across files.
-- Grain: one row per (region, date). Source: staging.open_meteo_daily,
-- staging.open_meteo_hourly_days. Unit: °C, mm.
MODEL (
  name cleaned.open_meteo_days,
  kind FULL,
  grain (region, date),
  audits (
    unique_combination_of_columns(columns := (region, date)),
    weather_plausible
  ),
  description 'One weather value per region and day: observed before forecast, newest file first.'
);

WITH candidates AS (
  SELECT
    region, date, tmin_c, tmax_c, precip_mm, day_timezone, is_local_day, api_kind, as_of,
    raw_sha256, 'daily' AS basis, 1 AS basis_rank
  FROM staging.open_meteo_daily
  UNION ALL
  SELECT
    region, date, tmin_c, tmax_c, precip_mm, day_timezone, TRUE AS is_local_day, api_kind, as_of,
    raw_sha256, 'hourly' AS basis, 2 AS basis_rank
  FROM staging.open_meteo_hourly_days
  WHERE
    is_complete
), ranked AS (
  SELECT
    *,
    ROW_NUMBER() OVER (
      PARTITION BY region, date
      ORDER BY
        CASE WHEN api_kind = 'archive' THEN 1 ELSE 2 END,
        CASE WHEN is_local_day THEN 1 ELSE 2 END,
        as_of DESC,
        basis_rank,
        raw_sha256
    ) AS rn
  FROM candidates
)
SELECT
  region, -- Configured region key
  date, -- Calendar day in day_timezone
  tmin_c, -- Minimum 2 m temperature [°C]
  tmax_c, -- Maximum 2 m temperature [°C]
  precip_mm, -- Precipitation [mm]
  day_timezone, -- Time zone whose calendar day `date` is (the region's own, unless a response came in another)
  api_kind = 'forecast' AS is_forecast, -- True when the value is a forecast
  CASE WHEN api_kind = 'forecast' THEN CAST(as_of AS DATE) END AS forecast_issued, -- Day the forecast was issued
  basis, -- daily = Open-Meteo daily aggregate; hourly = our sum/min/max of its hourly values
  raw_sha256 -- sha256 of the raw file the value comes from
FROM ranked
WHERE
  rn = 1
