-- Technical indicators of the daily bars, per symbol, on the close in US cents/lb. Bars are
-- trading days (holidays have no bar). Formulas (n = bar number of the symbol, 1 = first):
--   ma_20 / ma_50   mean close of the last 20 / 50 bars including this one; NULL while n < 20 / 50
--                   and when those bars span more than 4 / 10 weeks + 7 days (20 / 50 trading
--                   days are 4 / 10 weeks; the 7 days absorb holidays): a hole in the history
--                   must not turn a 20-bar mean into a mean over months
--   high_52w        highest high (close when no high) of the bars dated date - 364 days .. date;
--   low_52w         lowest low likewise; both NULL until the history reaches back 364 days
--   daily_return    100 x (close / previous bar's close - 1), NULL on the first bar and when the
--                   previous bar is more than 10 days earlier (a hole, not a weekend). The series
--                   is a continuous front month: returns across a contract roll include the roll.
-- Rounded to 6 decimals so the published files are byte-stable.
-- Grain: one row per (symbol, date). Source: serving.prices_daily. Unit: US cents/lb, %.
MODEL (
  name serving.price_indicators,
  kind FULL,
  grain (symbol, date),
  audits (
    not_null(columns := (symbol, date, close)),
    unique_combination_of_columns(columns := (symbol, date))
  ),
  description 'Moving averages (20, 50 bars), 52-week high/low and daily return of the coffee futures.'
);

WITH bars AS (
  SELECT
    symbol,
    date,
    close,
    raw_sha256,
    COALESCE(high, close) AS day_high,
    COALESCE(low, close) AS day_low,
    ROW_NUMBER() OVER (PARTITION BY symbol ORDER BY date) AS n,
    LAG(close) OVER (PARTITION BY symbol ORDER BY date) AS prev_close,
    LAG(date) OVER (PARTITION BY symbol ORDER BY date) AS prev_date,
    MIN(date) OVER (PARTITION BY symbol) AS first_date,
    -- a day number: RANGE frames over days that every engine accepts (Spark has no DATE
    -- ordering with INTERVAL bounds)
    DATE_DIFF('day', CAST('1970-01-01' AS DATE), date) AS day_no
  FROM serving.prices_daily
), windows AS (
  SELECT
    *,
    AVG(close) OVER (PARTITION BY symbol ORDER BY date ROWS BETWEEN 19 PRECEDING AND CURRENT ROW) AS avg_20,
    AVG(close) OVER (PARTITION BY symbol ORDER BY date ROWS BETWEEN 49 PRECEDING AND CURRENT ROW) AS avg_50,
    MIN(date) OVER (PARTITION BY symbol ORDER BY date ROWS BETWEEN 19 PRECEDING AND CURRENT ROW) AS first_date_20,
    MIN(date) OVER (PARTITION BY symbol ORDER BY date ROWS BETWEEN 49 PRECEDING AND CURRENT ROW) AS first_date_50,
    MAX(day_high) OVER (
      PARTITION BY symbol ORDER BY day_no RANGE BETWEEN 364 PRECEDING AND CURRENT ROW
    ) AS max_52w,
    MIN(day_low) OVER (
      PARTITION BY symbol ORDER BY day_no RANGE BETWEEN 364 PRECEDING AND CURRENT ROW
    ) AS min_52w,
    @distinct_set(raw_sha256) OVER ( -- distinct in the window: 20x faster, a fraction of the memory
      PARTITION BY symbol ORDER BY day_no RANGE BETWEEN 364 PRECEDING AND CURRENT ROW
    ) AS window_files
  FROM bars
)
SELECT
  symbol, -- Yahoo symbol: KC=F Coffee C, RC=F Robusta
  date, -- Trading day, in the exchange's time zone
  close, -- Closing price [US cents/lb]
  CASE
    WHEN n >= 20 AND first_date_20 >= date - INTERVAL '35' DAY THEN ROUND(avg_20, 6)
  END AS ma_20, -- Mean close of the last 20 bars; NULL before 20 bars and when they span more than 35 days (bars missing) [US cents/lb]
  CASE
    WHEN n >= 50 AND first_date_50 >= date - INTERVAL '77' DAY THEN ROUND(avg_50, 6)
  END AS ma_50, -- Mean close of the last 50 bars; NULL before 50 bars and when they span more than 77 days (bars missing) [US cents/lb]
  CASE WHEN first_date <= date - INTERVAL '364' DAY THEN max_52w END AS high_52w, -- Highest high, dates date-364d..date; NULL before 52 weeks of history [US cents/lb]
  CASE WHEN first_date <= date - INTERVAL '364' DAY THEN min_52w END AS low_52w, -- Lowest low, dates date-364d..date; NULL before 52 weeks of history [US cents/lb]
  CASE
    WHEN prev_date >= date - INTERVAL '10' DAY THEN ROUND(100 * (close / prev_close - 1), 6)
  END AS daily_return, -- 100 x (close / previous close - 1); NULL on the first bar and when the previous bar is more than 10 days earlier [%]
  LIST_SORT(LIST_DISTINCT(window_files)) AS raw_sha256 -- Raw files of the bars dated date-364d..date (the 52-week window, which holds the 20 and 50 bars and the previous bar whenever ma_20, ma_50 and daily_return are not NULL), sorted, distinct (a list)
FROM windows
