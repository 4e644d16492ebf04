-- ICO coffee statistics in long format, converted to thousand 60-kg bags to match USDA PSD:
-- value = published value / 60. The Kaggle tables hold ICO's thousand-bag figures x 60 (tonnes):
-- every production and trade value is a multiple of 60, and world production 2018/19 / 60 =
-- 172,463 thousand bags, within 2% of USDA PSD's 175,956 for the same crop (Market_Year 2019).
-- ICO's year 1990/91 is USDA Market_Year 1991. When several raw files give the same key, the
-- newest as-of wins (then the smallest sha256). ICO's Total_* columns are not years and are
-- not here; sub-members (EU member states, indented in ICO's tables) are flagged, not summed.
-- Grain: one row per (flow, country, year). Source: staging.ico_flows. Unit: 1000 60 kg bags.
MODEL (
  name serving.ico_trade,
  kind FULL,
  grain (flow, country, year),
  audits (
    not_null(columns := (country, year_label, year, flow, value, unit)),
    unique_combination_of_columns(columns := (flow, country, year))
  ),
  description 'ICO production, consumption, trade and inventories by country and year, in thousand 60-kg bags.'
);

SELECT
  country, -- Country as ICO names it
  is_sub_member, -- True for a member state ICO lists under a group (EU member states in importer tables)
  CASE WHEN is_sub_member THEN 'European Union' END AS member_of, -- Group of a sub-member (ICO indents EU member states)
  year_label, -- Year as ICO labels it: 1990/91 (crop year) or 1990 (calendar year)
  year, -- Calendar year, or the first year of the crop year (1990/91 -> 1990; USDA Market_Year is 1991)
  year_type, -- crop (production, domestic consumption) or calendar (trade, inventories, importers' consumption)
  flow, -- production, domestic_consumption, exports, imports, re_exports, inventories, importers_consumption
  coffee_type, -- Coffee types grown, predominant first (crop-year tables only)
  CAST(ROUND(value_raw / 60, 3) AS DOUBLE) AS value, -- Published value / 60 [1000 60 kg bags]
  '1000 60 kg bags' AS unit, -- Unit of value
  value_raw AS value_published, -- Value as published in the repackaged table (ICO figure x 60) [t]
  raw_sha256 -- sha256 of the raw file the value comes from (the newest table holding it); one file per row
FROM (
  SELECT
    *,
    ROW_NUMBER() OVER (PARTITION BY flow, country, year ORDER BY as_of DESC, raw_sha256) AS rn
  FROM staging.ico_flows
) AS ranked
WHERE
  rn = 1
