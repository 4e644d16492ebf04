-- Raw FRED observations exactly as landed, every downloaded vintage of every series.
-- Grain: one row per (file, line). Source: FRED fredgraph.csv. Unit: unit of each row (as stated by FRED).
MODEL (
  name raw.fred_observations,
  kind VIEW,
  description 'FRED monthly observations as landed, every vintage (download) of every series.'
);

SELECT
  *
FROM @landing(@landing_root, 'fred/observations')
