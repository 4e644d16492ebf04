-- Raw USDA PSD Online report-table rows as landed (already in long form by the extractor).
-- Grain: one row per (file, line, year column). Source: PSD Online report tables. Unit: as published.
MODEL (
  name raw.usda_psd_report_tables,
  kind VIEW,
  description 'USDA PSD Online report-table exports in long form, all text values.'
);

SELECT
  *
FROM @landing(@landing_root, 'usda_psd/report_table')
