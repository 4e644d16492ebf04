-- Daily weather for coffee growing regions from Open-Meteo. `date` is the region's local
-- calendar day (e.g. America/Sao_Paulo, UTC-3: a local day runs 03:00-03:00 UTC) whenever the
-- upstream allowed it: daily values are requested in the region's time zone and hourly values
-- are re-assigned to local days before aggregating. A day taken from a response in another
-- zone says so in day_timezone. Observed (archive) values win over forecasts.
-- Grain: one row per (region, date). Source: cleaned.open_meteo_days, cleaned.open_meteo_regions.
-- Unit: °C, mm.
MODEL (
  name serving.weather_daily,
  kind FULL,
  grain (region, date),
  audits (
    not_null(columns := (region, date, day_timezone)),
    unique_combination_of_columns(columns := (region, date)),
    weather_plausible
  ),
  description 'Daily min/max 2 m temperature and precipitation per coffee growing region (Open-Meteo).'
);

SELECT
  d.region, -- Region key (ingest/open_meteo/source.toml)
  r.region_name, -- Region name
  r.country, -- ISO 3166 alpha-2 country code
  r.coffee, -- Coffee grown in the region: arabica or robusta
  d.date, -- Calendar day in day_timezone (the region's local day unless stated otherwise)
  d.tmin_c, -- Minimum 2 m air temperature of the day [°C]
  d.tmax_c, -- Maximum 2 m air temperature of the day [°C]
  d.precip_mm, -- Precipitation over the day [mm]
  d.day_timezone, -- IANA time zone whose calendar day `date` is
  d.is_forecast, -- True for forecast days (Open-Meteo forecast API), false for observed (ERA5 archive)
  d.forecast_issued, -- Day the forecast was issued (NULL for observed days)
  d.basis, -- daily = Open-Meteo daily values; hourly = aggregated here from hourly values
  d.raw_sha256 -- sha256 of the raw file (API response) the day's values come from; one file per row
FROM cleaned.open_meteo_days AS d
JOIN cleaned.open_meteo_regions AS r
  ON d.region = r.region
