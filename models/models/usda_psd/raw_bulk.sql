-- Raw USDA PSD bulk rows exactly as landed from psd_coffee_csv.zip, every release.
-- Grain: one row per line of each landed file. Source: USDA FAS PSD Online. Unit: as published (text).
MODEL (
  name raw.usda_psd_bulk,
  kind VIEW,
  description 'USDA PSD coffee bulk CSV rows as landed, all releases, all text.'
);

SELECT
  *
FROM @landing(@landing_root, 'usda_psd/bulk')
