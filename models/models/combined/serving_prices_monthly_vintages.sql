-- Every vintage of the monthly coffee reference prices, FRED (IMF) and World Bank Pink Sheet,
-- in US cents/lb, so revisions can be read vintage after vintage.
-- Grain: one row per (source, series_id, vintage, date).
-- Source: staging.fred_observations, staging.worldbank_monthly. Unit: US cents/lb.
MODEL (
  name serving.prices_monthly_vintages,
  kind FULL,
  grain (source, series_id, vintage, date),
  audits (
    not_null(columns := (source, series_id, coffee_type, vintage, date, price)),
    unique_combination_of_columns(columns := (source, series_id, vintage, date)),
    price_positive(columns := (price, value_published))
  ),
  description 'Monthly coffee reference prices (FRED/IMF, World Bank), every vintage, in US cents/lb.'
);

SELECT
  'fred' AS source, -- fred: FRED series of the IMF Primary Commodity Prices; worldbank: Pink Sheet
  series_id, -- FRED series id (PCOFFOTMUSDM, PCOFFROBUSDM) or Pink Sheet column (COFFEE_ARABIC, COFFEE_ROBUS)
  coffee_type, -- arabica (other milds) or robusta
  vintage, -- FRED: YYYY-MM (month after the last observation, or the fred_vintage_ folder); World Bank: YYYY-MM-DD (Updated on)
  date, -- First day of the month
  price, -- Monthly average price [US cents/lb]
  value AS value_published, -- Value as published [unit_published]
  unit AS unit_published, -- Unit as published: US cents/lb (FRED) or ($/kg) (World Bank)
  raw_sha256 -- sha256 of the raw file (FRED CSV download, Pink Sheet workbook) of the vintage; one file per row
FROM staging.fred_observations
WHERE
  configured
UNION ALL
SELECT
  'worldbank' AS source,
  series_id,
  coffee_type,
  release AS vintage,
  date,
  price,
  value AS value_published,
  unit AS unit_published,
  raw_sha256
FROM staging.worldbank_monthly
