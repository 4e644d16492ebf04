-- Raw Yahoo Finance daily bars exactly as landed from each CSV download / chart JSON, every file.
-- Grain: one row per (file, bar). Source: Yahoo Finance. Unit: quote_unit of each row (as quoted).
MODEL (
  name raw.yahoo_prices_bars,
  kind VIEW,
  description 'Yahoo Finance daily bars as landed, every downloaded file (CSV and chart JSON).'
);

SELECT
  *
FROM @landing(@landing_root, 'yahoo_prices/bars')
