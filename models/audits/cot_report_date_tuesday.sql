-- COT positions are as of Tuesday. CFTC uses Monday's data when the Tuesday is a US market
-- holiday ("Use of Monday Data, due to Tuesday US Holiday" in its release schedule): allowed
-- when the next day is New Year's Day, Juneteenth (from 2022), Independence Day or Christmas.
-- Other shifts must be listed in `shifted` below once checked against CFTC's files; the
-- 2023 file has 2023-07-03 (Monday before July 4), which the rule covers.
-- Before `since` reports were mid-month/month-end, not weekly on Tuesday (assumption: from
-- October 1992 on; check when the 1986-2016 history file is first loaded).
-- The ISO weekday (Monday = 1) is counted from Monday 1970-01-05 so that every engine computes
-- it alike (DuckDB's ISODOW and DAYOFWEEK have no exact Spark translation).
AUDIT (
  name cot_report_date_tuesday,
  defaults (since = '1992-10-01')
);

WITH shifted AS (
  SELECT
    CAST(d AS DATE) AS report_date
  FROM (VALUES ('2023-07-03')) AS t(d)
)
SELECT
  *
FROM @this_model
WHERE
  report_date >= CAST(@since AS DATE)
  AND DATE_DIFF('day', CAST('1970-01-05' AS DATE), report_date) % 7 + 1 <> 2
  AND NOT (
    DATE_DIFF('day', CAST('1970-01-05' AS DATE), report_date) % 7 + 1 = 1
    AND (
      STRFTIME(report_date + INTERVAL 1 DAY, '%m-%d') IN ('01-01', '07-04', '12-25')
      OR (STRFTIME(report_date + INTERVAL 1 DAY, '%m-%d') = '06-19' AND YEAR(report_date) >= 2022)
    )
  )
  AND report_date NOT IN (SELECT report_date FROM shifted)
