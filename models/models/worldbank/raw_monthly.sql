-- Raw World Bank Pink Sheet coffee columns exactly as landed, every release of the workbook.
-- Grain: one row per (file, sheet row, column). Source: World Bank CMO-Historical-Data-Monthly.xlsx.
-- Unit: as in the sheet's unit row ($/kg).
MODEL (
  name raw.worldbank_monthly,
  kind VIEW,
  description 'World Bank Pink Sheet monthly coffee prices as landed, every release.'
);

SELECT
  *
FROM @landing(@landing_root, 'worldbank/monthly')
