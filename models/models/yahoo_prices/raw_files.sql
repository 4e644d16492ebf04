-- One row per landed Yahoo file: rows read, bars kept, holiday (all-null) and incomplete rows
-- dropped, exact duplicates collapsed. Grain: one row per file. Source: Yahoo Finance. Unit: rows.
MODEL (
  name raw.yahoo_prices_files,
  kind VIEW,
  description 'Per-file counts of the Yahoo extractor: bars kept and rows dropped (holidays).'
);

SELECT
  *
FROM @landing(@landing_root, 'yahoo_prices/files')
