-- One value per day and form: when several raw files of the same form cover a day (a newer
-- CSV export, a re-issued report), the file with the newest as-of wins (then the smallest
-- sha256, so the choice is deterministic).
-- Grain: one row per (date, origin_form). Source: staging.ice_stocks_observations. Unit: bags of 60 kg.
MODEL (
  name cleaned.ice_stocks_by_form,
  kind FULL,
  grain (date, origin_form),
  audits (
    unique_combination_of_columns(columns := (date, origin_form)),
    stocks_non_negative(column := bags)
  ),
  description 'ICE certified Arabica stocks: one value per day and upstream form (newest file of the form).'
);

SELECT
  date, -- Trading day
  origin_form, -- ice_report_xls, series_csv or ports_json
  bags, -- Certified stock [bags of 60 kg]
  CASE origin_form WHEN 'ice_report_xls' THEN 1 WHEN 'series_csv' THEN 2 ELSE 3 END AS form_rank, -- Precedence when forms disagree: 1 = ICE's own report, 2 = CSV series, 3 = JSON
  as_of, -- As-of of the raw file the value comes from
  raw_sha256 -- sha256 of that raw file
FROM (
  SELECT
    *,
    ROW_NUMBER() OVER (PARTITION BY date, origin_form ORDER BY as_of DESC, raw_sha256) AS rn
  FROM staging.ice_stocks_observations
) AS ranked
WHERE
  rn = 1
