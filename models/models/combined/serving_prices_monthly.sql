-- The monthly coffee reference prices as currently published: per source, series and month,
-- the value of the newest vintage holding that month.
-- Grain: one row per (source, series_id, date). Source: serving.prices_monthly_vintages.
-- Unit: US cents/lb.
MODEL (
  name serving.prices_monthly,
  kind FULL,
  grain (source, series_id, date),
  audits (
    not_null(columns := (source, series_id, coffee_type, date, price, vintage)),
    unique_combination_of_columns(columns := (source, series_id, date)),
    price_positive(columns := (price))
  ),
  description 'Monthly coffee reference prices (FRED/IMF, World Bank), newest vintage, in US cents/lb.'
);

SELECT
  source, -- fred: FRED series of the IMF Primary Commodity Prices; worldbank: Pink Sheet
  series_id, -- FRED series id or Pink Sheet column id
  coffee_type, -- arabica (other milds) or robusta
  date, -- First day of the month
  price, -- Monthly average price [US cents/lb]
  value_published, -- Value as published [unit_published]
  unit_published, -- Unit as published: US cents/lb (FRED) or ($/kg) (World Bank)
  vintage, -- Vintage the value comes from (the newest holding this month)
  raw_sha256 -- sha256 of the raw file of that vintage; one file per row
FROM (
  SELECT
    *,
    ROW_NUMBER() OVER (PARTITION BY source, series_id, date ORDER BY vintage DESC) AS rn
  FROM serving.prices_monthly_vintages
) AS ranked
WHERE
  rn = 1
