-- Coffee C certified Arabica stocks, one canonical value per trading day. When forms disagree
-- the value comes from ICE's own daily report, else the CSV series, else the per-port JSON
-- (form_rank in cleaned.ice_stocks_by_form), and `source` says which. Disagreements are never
-- averaged: they are listed in serving.ice_certified_stocks_reconciliation with every value.
-- Grain: one row per date. Source: cleaned.ice_stocks_by_form. Unit: bags of 60 kg.
MODEL (
  name serving.ice_certified_stocks,
  kind FULL,
  grain date,
  audits (
    not_null(columns := (date, bags, source)),
    unique_values(columns := (date)),
    stocks_non_negative(column := bags)
  ),
  description 'ICE Coffee C certified Arabica stocks per trading day (canonical value; precedence ICE report > CSV > JSON).'
);

SELECT
  date, -- Trading day
  bags, -- Certified Arabica stock in ICE licensed warehouses [bags of 60 kg]
  source, -- Form the value comes from: ice_report_xls (ICE's daily .xls), series_csv, ports_json
  forms, -- Number of upstream forms that give a value for the day
  disagrees, -- True when the forms give different values (see ice_certified_stocks_reconciliation)
  raw_sha256 -- Raw files of the day's values in every form (bags from the `source` form; forms and disagrees compare them all), sorted, distinct (a list)
FROM (
  SELECT
    date,
    bags,
    origin_form AS source,
    COUNT(*) OVER (PARTITION BY date) AS forms,
    MIN(bags) OVER (PARTITION BY date) <> MAX(bags) OVER (PARTITION BY date) AS disagrees,
    ROW_NUMBER() OVER (PARTITION BY date ORDER BY form_rank) AS rn,
    LIST_SORT(LIST_DISTINCT(LIST(raw_sha256) OVER (PARTITION BY date))) AS raw_sha256
  FROM cleaned.ice_stocks_by_form
) AS ranked
WHERE
  rn = 1
