-- USDA's current supply and distribution of every configured commodity (commodities.toml) that
-- USDA PSD covers: every row of the newest file holding the commodity, so a country-year is
-- never mixed across releases. Coffee comes from its own file (psd_coffee_csv.zip, as in
-- psd_coffee) unless the all-commodities file is newer; the other commodities come from
-- psd_alldata_csv.zip. Values stay in USDA's unit (unit), and quantities in the commodity's
-- mass unit are also given in thousand metric tonnes (value_1000t), so commodities compare.
-- Grain: one row per (commodity, commodity_code, country_code, market_year, attribute_id).
-- Source: staging.usda_psd_bulk, staging.usda_psd_alldata. Unit: unit of each row; value_1000t [1000 t].
MODEL (
  name serving.commodity_balance,
  kind FULL,
  grain (commodity, commodity_code, country_code, market_year, attribute_id),
  audits (
    not_null(columns := (commodity, commodity_code, country_code, market_year, attribute_id, release)),
    unique_combination_of_columns(
      columns := (commodity, commodity_code, country_code, market_year, attribute_id)
    )
  ),
  description 'Supply and distribution of every configured commodity USDA PSD covers, by country and market year, newest release; quantities also in 1000 t.'
);

WITH rows AS (
  SELECT
    k.commodity,
    b.commodity_code,
    b.commodity AS commodity_description,
    b.country_code,
    b.country,
    b.market_year,
    b.attribute_id,
    b.attribute,
    b.unit,
    CAST(b.value AS DOUBLE) AS value,
    CASE WHEN b.unit = k.unit THEN CAST(b.value AS DOUBLE) * k.to_1000t END AS value_1000t,
    b.release,
    b.raw_sha256,
    1 AS own_file -- the commodity's own file wins a tie with the all-commodities file
  FROM staging.usda_psd_bulk AS b
  JOIN @commodity_keys('psd', k)
    ON k.key = b.commodity_code
  WHERE
    NOT b.superseded
  UNION ALL
  SELECT
    commodity,
    commodity_code,
    commodity_description,
    country_code,
    country,
    market_year,
    attribute_id,
    attribute,
    unit,
    CAST(value AS DOUBLE) AS value,
    value_1000t,
    release,
    raw_sha256,
    0 AS own_file
  FROM staging.usda_psd_alldata
), files AS (
  SELECT
    f.commodity,
    f.raw_sha256,
    ROW_NUMBER() OVER (
      PARTITION BY f.commodity
      ORDER BY f.release DESC, f.own_file DESC, COALESCE(d.seq, -1) DESC, f.raw_sha256 DESC
    ) AS rn
  FROM (
    SELECT DISTINCT
      commodity,
      release,
      own_file,
      raw_sha256
    FROM rows
  ) AS f
  LEFT JOIN raw.usda_psd_deliveries AS d
    ON d.raw_sha256 = f.raw_sha256
)
SELECT
  r.commodity, -- Commodity (commodities.toml), e.g. coffee, sugar, wheat
  r.commodity_code, -- USDA commodity code, leading zeros kept (0711100 = Coffee, Green)
  r.commodity_description, -- USDA commodity name
  r.country_code, -- USDA FAS country code (not ISO)
  r.country, -- Country name as USDA prints it
  r.market_year, -- USDA Market_Year: 2023 holds the 2022/23 marketing year
  CAST(r.market_year - 1 AS VARCHAR) || '/' || LPAD(CAST(MOD(r.market_year, 100) AS VARCHAR), 2, '0') AS marketing_year, -- Year label USDA's report tables print, e.g. 2022/23
  r.attribute_id, -- USDA attribute code, leading zeros kept
  r.attribute, -- USDA attribute name, e.g. Production, Ending Stocks, Area Harvested
  r.unit, -- Unit as USDA publishes it, e.g. (1000 MT), (1000 60 KG BAGS), (1000 HA)
  r.value, -- Value as published [unit]
  r.value_1000t, -- The value in thousand metric tonnes, for quantities in the commodity's mass unit (commodities.toml psd_unit); null for areas, yields and other units [1000 t]
  r.release, -- USDA release the row comes from (YYYY-MM)
  r.raw_sha256 -- sha256 of the raw file (psd_coffee_csv.zip or psd_alldata_csv.zip) the row comes from; one file per row
FROM rows AS r
JOIN files AS f
  ON f.commodity = r.commodity AND f.raw_sha256 = r.raw_sha256 AND f.rn = 1
