-- The growing regions as configured in ingest/open_meteo/source.toml, read from the landed files.
-- Grain: one row per region. Source: raw.open_meteo_hourly, raw.open_meteo_daily. Unit: degrees.
MODEL (
  name cleaned.open_meteo_regions,
  kind FULL,
  grain region,
  audits (unique_values(columns := (region))),
  description 'Coffee growing regions with weather data: name, country, coffee grown, time zone.'
);

SELECT
  region, -- Configured region key
  MAX(region_name) AS region_name, -- Region name
  MAX(country) AS country, -- ISO 3166 alpha-2 country code
  MAX(coffee) AS coffee, -- Coffee grown: arabica or robusta
  MAX(region_timezone) AS timezone -- IANA time zone of the region's local days
FROM (
  SELECT region, region_name, country, coffee, region_timezone FROM raw.open_meteo_hourly
  UNION ALL
  SELECT region, region_name, country, coffee, region_timezone FROM raw.open_meteo_daily
) AS r
GROUP BY
  region
