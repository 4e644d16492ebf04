-- Days on which two upstream forms of the certified-stock series give different totals, with
-- every form's value side by side and the one published as canonical. A day appears here only
-- when at least two forms cover it and their values differ; equal values are not listed.
-- Grain: one row per date. Source: cleaned.ice_stocks_by_form. Unit: bags of 60 kg.
MODEL (
  name serving.ice_certified_stocks_reconciliation,
  kind FULL,
  grain date,
  audits (unique_values(columns := (date))),
  description 'Days where ICE certified stock sources disagree, with both values; nothing is averaged.'
);

SELECT
  date, -- Trading day on which the forms disagree
  MAX(CASE WHEN origin_form = 'ice_report_xls' THEN bags END) AS bags_ice_report, -- Value in ICE's daily .xls report, NULL if none [bags of 60 kg]
  MAX(CASE WHEN origin_form = 'series_csv' THEN bags END) AS bags_series_csv, -- Value in the CSV series, NULL if none [bags of 60 kg]
  MAX(CASE WHEN origin_form = 'ports_json' THEN bags END) AS bags_ports_json, -- Value in the per-port JSON, NULL if none [bags of 60 kg]
  MAX(bags) - MIN(bags) AS spread_bags, -- Largest minus smallest value of the day [bags of 60 kg]
  MAX(CASE WHEN form_rank = min_rank THEN origin_form END) AS canonical_source, -- Form published in ice_certified_stocks
  MAX(CASE WHEN form_rank = min_rank THEN bags END) AS canonical_bags, -- Value published in ice_certified_stocks [bags of 60 kg]
  LIST_SORT(LIST_DISTINCT(LIST(raw_sha256))) AS raw_sha256 -- Raw files of the values compared (one per form), sorted, distinct (a list)
FROM (
  SELECT
    *,
    MIN(form_rank) OVER (PARTITION BY date) AS min_rank
  FROM cleaned.ice_stocks_by_form
) AS f
GROUP BY
  date
HAVING
  COUNT(*) >= 2 AND MIN(bags) <> MAX(bags)
