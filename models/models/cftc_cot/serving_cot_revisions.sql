-- COT figures that a later CFTC file changed, for readers who need to know what moved
-- (published to paid plans only).
-- Grain: one row per (dataset, report_type, market_code, report_date, column_name, new_raw_sha256).
-- Source: cleaned.cftc_cot_revisions. Unit: contracts or traders (see column_name).
MODEL (
  name serving.cot_revisions,
  kind FULL,
  grain (dataset, report_type, market_code, report_date, column_name, new_raw_sha256),
  description 'COT figures revised by a later CFTC file: old and new value and both files.'
);

SELECT
  dataset, -- Dataset whose figure changed (cot_disaggregated or cot_legacy)
  report_type, -- futures_only or combined
  market_code, -- CFTC contract market code
  report_date, -- Week (Tuesday) whose figure changed
  column_name, -- Column of that dataset that changed
  old_value, -- Value in the earlier file [contracts or traders]
  new_value, -- Value in the later file [contracts or traders]
  old_release, -- Newest report date of the earlier file
  new_release, -- Newest report date of the later file
  old_raw_sha256, -- sha256 of the earlier raw file
  new_raw_sha256, -- sha256 of the later raw file
  LIST_SORT(LIST_DISTINCT(LIST_VALUE(old_raw_sha256, new_raw_sha256))) AS raw_sha256 -- Raw files the row compares: old_raw_sha256 and new_raw_sha256, sorted, distinct (a list)
FROM cleaned.cftc_cot_revisions
