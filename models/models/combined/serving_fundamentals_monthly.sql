-- Coffee C price against fundamentals, month by month, with rolling correlations.
-- How to reproduce it:
--   1. kc_close_avg: mean of the daily KC=F closes (Yahoo continuous front month, US cents/lb,
--      serving.prices_daily) of the calendar month; price_days counts them.
--   2. certified_bags_avg: mean of the canonical ICE certified Arabica stock of the month's
--      trading days (serving.ice_certified_stocks), and certified_bags_eom, the month's last value.
--   3. world_stock_to_use: USDA world ending stocks / world domestic consumption, in %, of the
--      market year the month falls in (serving.coffee_balance, country_code WORLD). USDA's
--      coffee market year is taken as October-September: Oct 2022..Sep 2023 -> Market_Year
--      2023 (the 2022/23 crop). The value is annual, so it steps once a year.
--   4. corr_*: Pearson correlation of the monthly levels over the trailing N calendar months
--      ending with the month (N = 12 or 36), computed only when all N months have both
--      values (otherwise NULL), and when neither series is constant over the window.
-- Grain: one row per month. Source: serving.prices_daily, serving.ice_certified_stocks,
-- serving.coffee_balance. Unit: US cents/lb, bags of 60 kg, %, correlation coefficient.
MODEL (
  name serving.fundamentals_monthly,
  kind FULL,
  grain month,
  audits (
    not_null(columns := (month)),
    unique_values(columns := (month))
  ),
  description 'Monthly Coffee C price vs ICE certified stocks and USDA world stock-to-use, with 12/36-month rolling correlations.'
);

WITH price AS (
  SELECT
    DATE_TRUNC('month', date) AS month,
    -- averaged in DECIMAL: an exact sum, so a mean on a rounding tie rounds the same way
    -- whatever order the parallel aggregation adds the days in (a DOUBLE sum does not)
    ROUND(AVG(CAST(close AS DECIMAL(18, 6))), 4) AS kc_close_avg,
    COUNT(*) AS price_days,
    LIST(DISTINCT raw_sha256) AS price_files
  FROM serving.prices_daily
  WHERE
    symbol = 'KC=F' AND NOT close IS NULL
  GROUP BY
    DATE_TRUNC('month', date)
), stocks AS (
  SELECT
    DATE_TRUNC('month', date) AS month,
    ROUND(AVG(bags), 1) AS certified_bags_avg,
    MAX_BY(bags, date) AS certified_bags_eom,
    COUNT(*) AS stock_days,
    FLATTEN(LIST(raw_sha256)) AS stock_files
  FROM serving.ice_certified_stocks
  GROUP BY
    DATE_TRUNC('month', date)
), months AS (
  SELECT month FROM price
  UNION
  SELECT month FROM stocks
), joined AS (
  SELECT
    CAST(m.month AS DATE) AS month,
    EXTRACT(YEAR FROM m.month) * 12 + EXTRACT(MONTH FROM m.month) - 1 AS month_no,
    CASE
      WHEN EXTRACT(MONTH FROM m.month) >= 10 THEN EXTRACT(YEAR FROM m.month) + 1
      ELSE EXTRACT(YEAR FROM m.month)
    END AS market_year,
    p.kc_close_avg,
    p.price_days,
    s.certified_bags_avg,
    s.certified_bags_eom,
    s.stock_days,
    LIST_CONCAT(COALESCE(p.price_files, []), COALESCE(s.stock_files, [])) AS month_files
  FROM months AS m
  LEFT JOIN price AS p
    ON m.month = p.month
  LEFT JOIN stocks AS s
    ON m.month = s.month
), with_balance AS (
  SELECT
    j.*,
    b.stock_to_use AS world_stock_to_use,
    CASE -- no NULL in the list when the year has no balance (Spark would keep it)
      WHEN b.raw_sha256 IS NULL THEN LIST_SORT(LIST_DISTINCT(j.month_files))
      ELSE LIST_SORT(LIST_DISTINCT(LIST_CONCAT(j.month_files, [b.raw_sha256])))
    END AS raw_sha256
  FROM joined AS j
  LEFT JOIN serving.coffee_balance AS b
    ON b.country_code = 'WORLD' AND b.market_year = j.market_year
), windows AS (
  SELECT
    *,
    CORR(kc_close_avg, certified_bags_avg) OVER w12 AS c_stocks_12,
    COUNT(kc_close_avg * certified_bags_avg) OVER w12 AS n_stocks_12,
    STDDEV_POP(certified_bags_avg) OVER w12 AS sd_stocks_12,
    STDDEV_POP(kc_close_avg) OVER w12 AS sd_price_12,
    CORR(kc_close_avg, certified_bags_avg) OVER w36 AS c_stocks_36,
    COUNT(kc_close_avg * certified_bags_avg) OVER w36 AS n_stocks_36,
    STDDEV_POP(certified_bags_avg) OVER w36 AS sd_stocks_36,
    STDDEV_POP(kc_close_avg) OVER w36 AS sd_price_36,
    CORR(kc_close_avg, world_stock_to_use) OVER w12 AS c_stu_12,
    COUNT(kc_close_avg * world_stock_to_use) OVER w12 AS n_stu_12,
    STDDEV_POP(world_stock_to_use) OVER w12 AS sd_stu_12,
    CORR(kc_close_avg, world_stock_to_use) OVER w36 AS c_stu_36,
    COUNT(kc_close_avg * world_stock_to_use) OVER w36 AS n_stu_36,
    STDDEV_POP(world_stock_to_use) OVER w36 AS sd_stu_36
  FROM with_balance
  WINDOW
    w12 AS (ORDER BY month_no RANGE BETWEEN 11 PRECEDING AND CURRENT ROW),
    w36 AS (ORDER BY month_no RANGE BETWEEN 35 PRECEDING AND CURRENT ROW)
)
SELECT
  month, -- First day of the calendar month
  CAST(market_year AS INT) AS market_year, -- USDA coffee Market_Year of the month (October-September; Oct 2022 -> 2023)
  kc_close_avg, -- Mean daily close of Coffee C (KC=F) over the month [US cents/lb]
  price_days, -- Trading days with a KC=F close in the month [days]
  certified_bags_avg, -- Mean ICE certified Arabica stock over the month's trading days [bags of 60 kg]
  certified_bags_eom, -- ICE certified Arabica stock on the month's last trading day [bags of 60 kg]
  stock_days, -- Trading days with a certified-stock value in the month [days]
  world_stock_to_use, -- USDA world ending stocks / domestic consumption of the market year [%]
  CAST(CASE WHEN n_stocks_12 = 12 AND sd_stocks_12 > 0 AND sd_price_12 > 0 THEN ROUND(c_stocks_12, 4) END AS DOUBLE) AS corr_price_certified_12m, -- Pearson correlation of kc_close_avg and certified_bags_avg over the 12 months ending here [coefficient]
  CAST(CASE WHEN n_stocks_36 = 36 AND sd_stocks_36 > 0 AND sd_price_36 > 0 THEN ROUND(c_stocks_36, 4) END AS DOUBLE) AS corr_price_certified_36m, -- Same over 36 months [coefficient]
  CAST(CASE WHEN n_stu_12 = 12 AND sd_stu_12 > 0 AND sd_price_12 > 0 THEN ROUND(c_stu_12, 4) END AS DOUBLE) AS corr_price_stock_to_use_12m, -- Pearson correlation of kc_close_avg and world_stock_to_use over 12 months (NULL when stock-to-use does not change in the window) [coefficient]
  CAST(CASE WHEN n_stu_36 = 36 AND sd_stu_36 > 0 AND sd_price_36 > 0 THEN ROUND(c_stu_36, 4) END AS DOUBLE) AS corr_price_stock_to_use_36m, -- Same over 36 months [coefficient]
  raw_sha256 -- Raw files of the month's own inputs: its KC=F bars, its certified-stock days (every form) and the USDA release of its world stock-to-use, sorted, distinct (a list). The 12/36-month correlations are computed from the rows of their window, whose own raw_sha256 name their files (exact window lists would repeat hundreds of daily ICE reports per row)
FROM windows
