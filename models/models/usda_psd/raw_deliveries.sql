-- Every USDA PSD raw file as landed: its hash, name, release and when it was delivered, so a
-- later delivery of the same release (a correction) can win over the earlier one.
-- Grain: one row per raw file. Source: the ingest's delivery records. Unit: none (text).
MODEL (
  name raw.usda_psd_deliveries,
  kind VIEW,
  description 'One row per USDA PSD raw file landed: hash, file name, release, delivery time.'
);

SELECT
  *
FROM @landing(@landing_root, 'usda_psd/_deliveries')
