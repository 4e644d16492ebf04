-- Certified-stock indicators per trading day, on the canonical series (ice_certified_stocks):
--   avg_30d: mean of the trading-day values in the 30 calendar days ending on the day;
--   change_1w: bags minus the value of the latest trading day 7 to 13 calendar days before
--     (a week earlier, or the trading day before it after a holiday), NULL if none;
--   high_52w / drawdown_52w_pct: highest value in the 365 calendar days ending on the day, and
--     (bags - high) / high x 100 (0 at a new high, negative below it).
-- Windows are in calendar days on an integer day number, so gaps in the data shorten them
-- instead of reaching further back. Grain: one row per date. Source: serving.ice_certified_stocks.
-- Unit: bags of 60 kg and %.
MODEL (
  name serving.ice_certified_stocks_indicators,
  kind FULL,
  grain date,
  audits (
    not_null(columns := (date, bags, avg_30d, high_52w, drawdown_52w_pct)),
    unique_values(columns := (date))
  ),
  description 'ICE certified Arabica stocks with 30-day average, week-over-week change and 52-week drawdown.'
);

WITH s AS (
  SELECT
    date,
    bags,
    raw_sha256,
    DATE_DIFF('day', CAST('1970-01-01' AS DATE), date) AS day_no
  FROM serving.ice_certified_stocks
), w AS (
  SELECT
    date,
    bags,
    raw_sha256,
    day_no,
    AVG(bags) OVER (ORDER BY day_no RANGE BETWEEN 29 PRECEDING AND CURRENT ROW) AS avg_30d,
    COUNT(*) OVER (ORDER BY day_no RANGE BETWEEN 29 PRECEDING AND CURRENT ROW) AS days_30d,
    MAX(bags) OVER (ORDER BY day_no RANGE BETWEEN 364 PRECEDING AND CURRENT ROW) AS high_52w,
    MIN(day_no) OVER (ORDER BY day_no ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW) AS first_day_no,
    MAX(day_no) OVER (ORDER BY day_no RANGE BETWEEN 13 PRECEDING AND 7 PRECEDING) AS base_day_no
  FROM s
)
SELECT
  w.date, -- Trading day
  w.bags, -- Certified stock, canonical value [bags of 60 kg]
  CAST(ROUND(w.avg_30d, 1) AS DOUBLE) AS avg_30d, -- Mean over trading days in the 30 calendar days ending on date [bags of 60 kg]
  w.days_30d, -- Trading days averaged in avg_30d
  b.date AS change_1w_base_date, -- Trading day the weekly change is measured from (7 to 13 days earlier)
  w.bags - b.bags AS change_1w_bags, -- bags minus bags on change_1w_base_date [bags of 60 kg]
  CAST(ROUND(100.0 * (w.bags - b.bags) / NULLIF(b.bags, 0), 2) AS DOUBLE) AS change_1w_pct, -- Weekly change relative to the base day [%]
  w.high_52w, -- Highest value in the 365 calendar days ending on date [bags of 60 kg]
  CAST(ROUND(100.0 * (w.bags - w.high_52w) / NULLIF(w.high_52w, 0), 2) AS DOUBLE) AS drawdown_52w_pct, -- (bags - high_52w) / high_52w x 100; 0 at a 52-week high [%]
  w.day_no - w.first_day_no >= 364 AS full_52w_history, -- True when the series covers the whole 52-week window
  LIST_SORT(LIST_DISTINCT(LIST_CONCAT(w.raw_sha256, COALESCE(b.raw_sha256, [])))) AS raw_sha256 -- Raw files of the day's value and of the weekly change's base day, sorted, distinct (a list). avg_30d and high_52w are computed from the ice_certified_stocks rows of their window, whose own raw_sha256 name their files (one daily report per day: a full window list would repeat ~250 hashes per row)
FROM w
LEFT JOIN s AS b
  ON b.day_no = w.base_day_no
