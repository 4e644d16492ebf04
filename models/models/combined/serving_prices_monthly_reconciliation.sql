-- FRED (IMF) against the World Bank Pink Sheet for the same coffee type and month, both in
-- US cents/lb from their newest vintages. Both are monthly averages of the ICO indicator
-- prices (other milds; robustas), so they should agree closely (median gap ~0.06 %).
--   difference      = fred_price - worldbank_price                        [US cents/lb]
--   pct_difference  = 100 x (fred_price - worldbank_price) / worldbank_price [%]
--   flagged         = |pct_difference| > tolerance_pct, tolerance_pct = 1.0 %
-- Months present in only one source are not listed. Nothing is averaged or overwritten.
-- Grain: one row per (coffee_type, date). Source: serving.prices_monthly. Unit: US cents/lb.
MODEL (
  name serving.prices_monthly_reconciliation,
  kind FULL,
  grain (coffee_type, date),
  audits (
    not_null(columns := (coffee_type, date, fred_price, worldbank_price, flagged)),
    unique_combination_of_columns(columns := (coffee_type, date))
  ),
  description 'FRED vs World Bank monthly coffee prices: difference, % difference, flag beyond 1 %.'
);

WITH fred AS (
  SELECT
    *
  FROM serving.prices_monthly
  WHERE
    source = 'fred'
), wb AS (
  SELECT
    *
  FROM serving.prices_monthly
  WHERE
    source = 'worldbank'
)
SELECT
  f.coffee_type, -- arabica (FRED PCOFFOTMUSDM vs Pink Sheet Coffee, Arabica) or robusta
  f.date, -- First day of the month
  f.series_id AS fred_series_id, -- FRED series id
  f.price AS fred_price, -- FRED monthly price [US cents/lb]
  f.vintage AS fred_vintage, -- FRED vintage the price comes from (YYYY-MM)
  w.series_id AS worldbank_series_id, -- Pink Sheet column id
  w.price AS worldbank_price, -- Pink Sheet monthly price converted from $/kg [US cents/lb]
  w.vintage AS worldbank_vintage, -- Pink Sheet release the price comes from (YYYY-MM-DD)
  ROUND(f.price - w.price, 6) AS difference, -- fred_price - worldbank_price [US cents/lb]
  ROUND(100 * (f.price - w.price) / w.price, 6) AS pct_difference, -- 100 x difference / worldbank_price [%]
  CAST(1.0 AS DOUBLE) AS tolerance_pct, -- Tolerance beyond which a month is flagged [%]
  ABS(100 * (f.price - w.price) / w.price) > 1.0 AS flagged, -- True when |pct_difference| > tolerance_pct
  LIST_SORT(LIST_DISTINCT(LIST_VALUE(f.raw_sha256, w.raw_sha256))) AS raw_sha256 -- Raw files of the two prices compared (FRED, World Bank), sorted, distinct (a list)
FROM fred AS f
JOIN wb AS w
  ON f.coffee_type = w.coffee_type AND f.date = w.date
