-- Daily bars per symbol and trading day, one file's bar per day: the file with the newest
-- release (as-of) wins, so a provisional last bar is replaced by a later download; among files
-- of the same release a bar that is not the file's last one wins, then the higher sha256.
-- Prices are converted from the quotation unit to US cents/lb:
--   US cents/lb -> x 1;  USD/t -> x 100 / 2204.62 (1 t = 1000 kg x 2.20462 lb/kg).
-- Grain: one row per (symbol, date). Source: raw.yahoo_prices_bars. Unit: US cents/lb.
MODEL (
  name staging.yahoo_prices_bars,
  kind INCREMENTAL_BY_TIME_RANGE (time_column date, partition_by_time_column FALSE),
  start '2000-01-01',
  grain (symbol, date),
  audits (
    not_null(columns := (symbol, date, close_quoted, release)),
    unique_combination_of_columns(columns := (symbol, date)),
    price_positive(columns := (open_quoted, high_quoted, low_quoted, close_quoted, close)),
    price_converted(column := close, value := CASE WHEN configured THEN close_quoted END)
  ),
  description 'Yahoo daily bars, one per symbol and day (newest file wins), in US cents/lb.'
);

WITH ranked AS (
  SELECT
    *,
    CASE quote_unit
      WHEN 'US cents/lb' THEN 1.0
      WHEN 'USD/t' THEN CAST(100 AS DOUBLE) / 2204.62 -- a double: Spark's DECIMAL division keeps 8 digits
    END AS to_usc_lb,
    ROW_NUMBER() OVER (
      PARTITION BY symbol, date
      ORDER BY _release DESC, last_in_file ASC, _raw_sha256 DESC
    ) AS rn
  FROM raw.yahoo_prices_bars
  WHERE
    date BETWEEN @start_date AND @end_date
)
SELECT
  symbol, -- Yahoo symbol: KC=F Coffee C (ICE US), RC=F Robusta (ICE Europe)
  date, -- Trading day, in the exchange's time zone
  open * to_usc_lb AS open, -- Opening price [US cents/lb]
  high * to_usc_lb AS high, -- Highest price of the day [US cents/lb]
  low * to_usc_lb AS low, -- Lowest price of the day [US cents/lb]
  close * to_usc_lb AS close, -- Closing (settlement) price [US cents/lb]
  open AS open_quoted, -- Opening price as quoted [quote_unit]
  high AS high_quoted, -- Highest price as quoted [quote_unit]
  low AS low_quoted, -- Lowest price as quoted [quote_unit]
  close AS close_quoted, -- Closing price as quoted [quote_unit]
  volume, -- Contracts traded as Yahoo reports them (0 on settlement-only days) [contracts]
  quote_unit, -- Exchange quotation unit: US cents/lb (KC=F) or USD/t (RC=F)
  configured, -- Symbol listed in ingest/yahoo_prices/source.toml (published)
  last_in_file AS provisional, -- Last bar of the newest file holding it: may still be corrected
  format, -- Upstream format of the winning file: csv or chart
  _release AS release, -- As-of day of the winning file (YYYY-MM-DD)
  _raw_sha256 AS raw_sha256, -- sha256 of the winning raw file
  _line AS raw_line -- Line (CSV) or bar position (chart JSON) in the raw file
FROM ranked
WHERE
  rn = 1
