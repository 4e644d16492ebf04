-- Raw USDA PSD rows exactly as landed from psd_alldata_csv.zip (the configured commodities'
-- codes only, commodities.toml), every release.
-- Grain: one row per kept line of each landed file. Source: USDA FAS PSD Online. Unit: as published (text).
MODEL (
  name raw.usda_psd_alldata,
  kind VIEW,
  description 'USDA PSD all-commodities bulk CSV rows of the configured commodities as landed, all releases, all text.'
);

SELECT
  *
FROM @landing(@landing_root, 'usda_psd/alldata')
