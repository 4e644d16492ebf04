-- The coffee balance sheet per country and market year, plus WORLD rows summed over every
-- country, from the newest bulk release only. stock_to_use = ending stocks / (domestic
-- consumption + exports) for a country; for WORLD, ending stocks / domestic consumption
-- (world exports are other countries' imports).
-- Grain: one row per (country_code, market_year). Source: serving.psd_coffee. Unit: 1000 60 kg bags.
MODEL (
  name serving.coffee_balance,
  kind FULL,
  grain (country_code, market_year),
  audits (
    not_null(columns := (country_code, market_year, production, total_supply)),
    unique_combination_of_columns(columns := (country_code, market_year)),
    balance_identity(tolerance := 1)
  ),
  description 'Coffee supply and distribution balance by country and market year, with world totals.'
);

WITH countries AS (
  SELECT
    country_code,
    country,
    market_year,
    CAST(SUM(CASE WHEN attribute_id = '020' THEN value END) AS DECIMAL(18, 4)) AS beginning_stocks,
    CAST(SUM(CASE WHEN attribute_id = '028' THEN value END) AS DECIMAL(18, 4)) AS production,
    CAST(SUM(CASE WHEN attribute_id = '057' THEN value END) AS DECIMAL(18, 4)) AS imports,
    CAST(SUM(CASE WHEN attribute_id = '086' THEN value END) AS DECIMAL(18, 4)) AS total_supply,
    CAST(SUM(CASE WHEN attribute_id = '088' THEN value END) AS DECIMAL(18, 4)) AS exports,
    CAST(SUM(CASE WHEN attribute_id = '125' THEN value END) AS DECIMAL(18, 4)) AS domestic_consumption,
    CAST(SUM(CASE WHEN attribute_id = '176' THEN value END) AS DECIMAL(18, 4)) AS ending_stocks,
    CAST(SUM(CASE WHEN attribute_id = '178' THEN value END) AS DECIMAL(18, 4)) AS total_distribution,
    MIN(raw_sha256) AS raw_sha256
  FROM serving.psd_coffee
  GROUP BY
    country_code,
    country,
    market_year
), world AS (
  SELECT
    'WORLD' AS country_code,
    'World' AS country,
    market_year,
    SUM(beginning_stocks) AS beginning_stocks,
    SUM(production) AS production,
    SUM(imports) AS imports,
    SUM(total_supply) AS total_supply,
    SUM(exports) AS exports,
    SUM(domestic_consumption) AS domestic_consumption,
    SUM(ending_stocks) AS ending_stocks,
    SUM(total_distribution) AS total_distribution,
    MIN(raw_sha256) AS raw_sha256
  FROM countries
  GROUP BY
    market_year
), combined AS (
  SELECT * FROM countries
  UNION ALL
  SELECT * FROM world
)
SELECT
  country_code, -- USDA FAS country code; WORLD = sum over every country in the release
  country, -- Country name
  market_year, -- USDA Market_Year (2023 holds the 2022/23 crop)
  CAST(market_year - 1 AS VARCHAR) || '/' || LPAD(CAST(MOD(market_year, 100) AS VARCHAR), 2, '0') AS marketing_year, -- Year label as in USDA's report tables
  CAST(beginning_stocks AS DOUBLE) AS beginning_stocks, -- Stocks at the start of the year [1000 60 kg bags]
  CAST(production AS DOUBLE) AS production, -- Production, arabica + robusta + other [1000 60 kg bags]
  CAST(imports AS DOUBLE) AS imports, -- Imports, green bean equivalent [1000 60 kg bags]
  CAST(total_supply AS DOUBLE) AS total_supply, -- Beginning stocks + production + imports [1000 60 kg bags]
  CAST(exports AS DOUBLE) AS exports, -- Exports, green bean equivalent [1000 60 kg bags]
  CAST(domestic_consumption AS DOUBLE) AS domestic_consumption, -- Domestic consumption [1000 60 kg bags]
  CAST(ending_stocks AS DOUBLE) AS ending_stocks, -- Stocks at the end of the year [1000 60 kg bags]
  CAST(total_distribution AS DOUBLE) AS total_distribution, -- Exports + domestic consumption + ending stocks [1000 60 kg bags]
  CAST(ROUND(
    100 * ending_stocks / NULLIF(
      CASE WHEN country_code = 'WORLD' THEN domestic_consumption ELSE domestic_consumption + exports END,
      0
    ),
    2
  ) AS DOUBLE) AS stock_to_use, -- Ending stocks / use (country: consumption + exports; WORLD: consumption) [%]
  raw_sha256 -- sha256 of the bulk raw file of the newest release, which every row (WORLD too) is computed from; one file per row (psd_coffee's unique key makes a release one file)
FROM combined
