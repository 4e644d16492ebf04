-- Coffee futures daily bars (continuous front month) of the configured symbols, prices in
-- US cents/lb so Coffee C and Robusta compare directly; the price as the exchange quotes it is
-- kept in close_quoted / quote_unit.
-- Grain: one row per (symbol, date). Source: staging.yahoo_prices_bars. Unit: US cents/lb.
MODEL (
  name serving.prices_daily,
  kind FULL,
  grain (symbol, date),
  audits (
    not_null(columns := (symbol, date, close, unit)),
    unique_combination_of_columns(columns := (symbol, date)),
    price_positive(columns := (open, high, low, close))
  ),
  description 'Daily bars of the Coffee C (KC=F) and Robusta (RC=F) futures, in US cents/lb.'
);

SELECT
  symbol, -- Yahoo symbol: KC=F Coffee C arabica (ICE US), RC=F Robusta (ICE Europe)
  date, -- Trading day, in the exchange's time zone
  open, -- Opening price [US cents/lb]
  high, -- Highest price of the day [US cents/lb]
  low, -- Lowest price of the day [US cents/lb]
  close, -- Closing (settlement) price [US cents/lb]
  volume, -- Contracts traded as Yahoo reports them; 0 on settlement-only days, unreliable [contracts]
  'US cents/lb' AS unit, -- Unit of open, high, low and close
  close_quoted, -- Closing price in the exchange's quotation unit [quote_unit]
  quote_unit, -- Exchange quotation unit: US cents/lb (KC=F) or USD/t (RC=F)
  provisional, -- True for the last bar of the newest download: a later file may correct it
  release, -- As-of day of the download the bar comes from (YYYY-MM-DD)
  raw_sha256 -- sha256 of the raw file the bar comes from (the newest download holding it); one file per row
FROM staging.yahoo_prices_bars
WHERE
  configured
