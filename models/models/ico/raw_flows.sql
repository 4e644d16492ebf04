-- Raw ICO statistics rows as landed (already long: one row per country and year column).
-- Grain: one row per (raw file, country, year). Source: ICO historical tables (Kaggle
-- repackaging). Unit: tonnes (ICO thousand 60-kg bags x 60).
MODEL (
  name raw.ico_flows,
  kind VIEW,
  description 'ICO historical coffee statistics as landed, every file, values x60 as published.'
);

SELECT
  *
FROM @landing(@landing_root, 'ico/flows')
