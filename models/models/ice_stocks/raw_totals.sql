-- Raw ICE certified-stock daily totals as landed from the series CSV and the per-port JSON.
-- Grain: one row per (raw file, date). Source: ice_stocks landing `totals`. Unit: bags (60 kg).
MODEL (
  name raw.ice_stocks_totals,
  kind VIEW,
  description 'ICE certified Arabica stock totals as landed from the CSV series and the JSON, every file.'
);

SELECT
  *
FROM @landing(@landing_root, 'ice_stocks/totals')
