-- Daily futures bars of every configured commodity's symbols (commodities.toml symbols), in
-- each symbol's own quotation unit: US cents/lb for sugar, US cents/bu for wheat, USD/t for
-- cocoa. No conversion across commodities (a bushel of wheat and a pound of sugar do not
-- compare); coffee's prices in one unit are in prices_daily.
-- Grain: one row per (commodity, symbol, date). Source: staging.yahoo_prices_bars. Unit: quote_unit.
MODEL (
  name serving.commodity_prices_daily,
  kind FULL,
  grain (commodity, symbol, date),
  audits (
    not_null(columns := (commodity, symbol, date, close, quote_unit)),
    unique_combination_of_columns(columns := (commodity, symbol, date)),
    price_positive(columns := (open, high, low, close))
  ),
  description 'Daily futures bars of every configured commodity, in each contract''s quotation unit.'
);

SELECT
  k.commodity, -- Commodity (commodities.toml), e.g. coffee, cocoa, sugar, wheat
  b.symbol, -- Futures symbol (Yahoo, continuous front month): KC=F, CC=F, SB=F, ZW=F
  b.date, -- Trading day, in the exchange's time zone
  b.open_quoted AS open, -- Opening price [quote_unit]
  b.high_quoted AS high, -- Highest price of the day [quote_unit]
  b.low_quoted AS low, -- Lowest price of the day [quote_unit]
  b.close_quoted AS close, -- Closing (settlement) price [quote_unit]
  b.volume, -- Contracts traded as Yahoo reports them; 0 on settlement-only days, unreliable [contracts]
  k.unit AS quote_unit, -- Quotation unit of the contract as configured, e.g. US cents/lb, USD/t, US cents/bu
  b.provisional, -- True for the last bar of the newest download: a later file may correct it
  b.release, -- As-of day of the download the bar comes from (YYYY-MM-DD)
  b.raw_sha256 -- sha256 of the raw file the bar comes from (the newest download holding it); one file per row
FROM staging.yahoo_prices_bars AS b
JOIN @commodity_keys('symbol', k)
  ON k.key = b.symbol
