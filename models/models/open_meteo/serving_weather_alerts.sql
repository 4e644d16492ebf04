-- Weather alerts for coffee growing regions, from serving.weather_daily (observed and forecast):
--   frost_risk: one row per day with tmin_c <= 3.0 °C (2 m air temperature; leaves can freeze
--     near 0 °C at ground level on clear nights when 2 m reads ~3 °C) in a Brazilian arabica
--     region (country BR, coffee arabica) during May-September (southern winter), and
--   dry_spell: one row per run of at least 14 consecutive days, each with precip_mm < 1.0 mm, in
--     any region and month (a missing day breaks the run).
-- The thresholds are the threshold_* columns of every row.
-- Grain: one row per (region, alert_type, start_date). Source: serving.weather_daily. Unit: °C, mm, days.
MODEL (
  name serving.weather_alerts,
  kind FULL,
  grain (region, alert_type, start_date),
  audits (
    not_null(columns := (region, alert_type, start_date, end_date, days)),
    unique_combination_of_columns(columns := (region, alert_type, start_date))
  ),
  description 'Frost-risk days in Brazilian arabica regions (May-Sep, Tmin <= 3 °C) and dry spells (>= 14 days < 1 mm).'
);

WITH days AS (
  SELECT
    *,
    DATE_DIFF('day', CAST('1970-01-01' AS DATE), date) AS day_no
  FROM serving.weather_daily
), frost AS (
  SELECT
    region,
    region_name,
    'frost_risk' AS alert_type,
    date AS start_date,
    date AS end_date,
    1 AS days,
    tmin_c,
    precip_mm,
    is_forecast,
    [raw_sha256] AS raw_sha256
  FROM days
  WHERE
    country = 'BR' AND coffee = 'arabica' AND EXTRACT(MONTH FROM date) BETWEEN 5 AND 9 AND tmin_c <= 3.0
), dry AS (
  SELECT
    *,
    day_no - ROW_NUMBER() OVER (PARTITION BY region ORDER BY day_no) AS run_id
  FROM days
  WHERE
    precip_mm < 1.0
), spells AS (
  SELECT
    region,
    MAX(region_name) AS region_name,
    'dry_spell' AS alert_type,
    MIN(date) AS start_date,
    MAX(date) AS end_date,
    COUNT(*) AS days,
    MIN(tmin_c) AS tmin_c,
    ROUND(SUM(precip_mm), 1) AS precip_mm,
    MAX(CASE WHEN is_forecast THEN 1 ELSE 0 END) = 1 AS is_forecast,
    LIST_SORT(LIST_DISTINCT(LIST(raw_sha256))) AS raw_sha256
  FROM dry
  GROUP BY
    region,
    run_id
  HAVING
    COUNT(*) >= 14
), alerts AS (
  SELECT * FROM frost
  UNION ALL
  SELECT * FROM spells
)
SELECT
  region, -- Region key
  region_name, -- Region name
  alert_type, -- frost_risk or dry_spell
  start_date, -- First day of the alert (the frost day; the first dry day)
  end_date, -- Last day of the alert
  CAST(days AS INT) AS days, -- Days covered by the alert [days]
  tmin_c, -- Lowest minimum temperature over the alert's days [°C]
  precip_mm, -- Precipitation over the alert's days [mm]
  is_forecast, -- True when any day of the alert is a forecast
  CAST(3.0 AS DOUBLE) AS threshold_tmin_c, -- Frost risk when tmin_c <= this, Brazilian arabica regions, May-September [°C]
  CAST(1.0 AS DOUBLE) AS threshold_precip_mm, -- A dry day has less precipitation than this [mm]
  14 AS threshold_days, -- A dry spell is at least this many consecutive dry days [days]
  raw_sha256 -- Raw files (API responses) of the alert's days in weather_daily, sorted, distinct (a list)
FROM alerts
