-- One row per COT week and market: the figures of the newest file that published the week
-- (newest = larger release, i.e. newer last report date; ties by raw_sha256, for determinism).
-- Lineage names the first file that published exactly these figures, so a file that only
-- repeats a week changes nothing here. Changed figures are listed in cleaned.cftc_cot_revisions.
-- Grain: one row per (report_type, market_code, report_date). Source: staging.cftc_cot_legacy.
-- Unit: contracts (positions), traders (counts).
MODEL (
  name cleaned.cftc_cot_legacy,
  kind INCREMENTAL_BY_TIME_RANGE (time_column report_date),
  start '1986-01-01',
  grain (report_type, market_code, report_date),
  audits (
    unique_combination_of_columns(columns := (report_type, market_code, report_date)),
    not_null(columns := (report_type, market_code, report_date, open_interest)),
    cot_positions_non_negative(columns := (open_interest, noncomm_long, noncomm_short, noncomm_spread, comm_long, comm_short, nonrept_long, nonrept_short)),
    cot_open_interest_identity(
      long_total := noncomm_long + noncomm_spread + comm_long + nonrept_long,
      short_total := noncomm_short + noncomm_spread + comm_short + nonrept_short
    ),
    cot_report_date_tuesday
  ),
  description 'CFTC legacy COT positions: one row per week and market, newest published figures.'
);

WITH versions AS (
  SELECT
    *
  FROM staging.cftc_cot_legacy
  WHERE
    report_date BETWEEN @start_date AND @end_date
), ranked AS (
  SELECT
    *,
    ROW_NUMBER() OVER (
      PARTITION BY report_type, market_code, report_date
      ORDER BY release DESC, raw_sha256 DESC
    ) AS newest_rank
  FROM versions
), first_publication AS (
  SELECT
    v.report_type,
    v.market_code,
    v.report_date,
    v.release,
    v.raw_sha256,
    v.raw_line,
    ROW_NUMBER() OVER (
      PARTITION BY v.report_type, v.market_code, v.report_date
      ORDER BY v.release, v.raw_sha256
    ) AS first_rank
  FROM versions AS v
  JOIN ranked AS r
    ON r.newest_rank = 1
    AND v.report_type = r.report_type
    AND v.market_code = r.market_code
    AND v.report_date = r.report_date
    AND v.values_key = r.values_key
)
SELECT
  w.report_type, -- futures_only or combined (futures and options, delta-adjusted)
  w.report_date, -- Date the positions are as of (a Tuesday)
  w.market_code, -- CFTC contract market code (083731 = Coffee C)
  w.market_name, -- Market and exchange name as published that week
  w.commodity_code, -- CFTC commodity code (083 = coffee)
  w.contract_units, -- Contract size as published
  w.open_interest, -- Open interest [contracts]
  w.noncomm_long, -- Non-commercial long [contracts]
  w.noncomm_short, -- Non-commercial short [contracts]
  w.noncomm_spread, -- Non-commercial spreading [contracts]
  w.comm_long, -- Commercial long [contracts]
  w.comm_short, -- Commercial short [contracts]
  w.tot_rept_long, -- Total reportable long [contracts]
  w.tot_rept_short, -- Total reportable short [contracts]
  w.nonrept_long, -- Non-reportable long [contracts]
  w.nonrept_short, -- Non-reportable short [contracts]
  w.traders_total, -- Reportable traders in the market [traders]
  w.traders_noncomm_long, -- Non-commercial traders long [traders]
  w.traders_noncomm_short, -- Non-commercial traders short [traders]
  w.traders_noncomm_spread, -- Non-commercial traders spreading [traders]
  w.traders_comm_long, -- Commercial traders long [traders]
  w.traders_comm_short, -- Commercial traders short [traders]
  f.release, -- Newest report date of the first file that published these figures
  f.raw_sha256, -- sha256 of that raw file
  f.raw_line -- Line of the row in that raw file
FROM ranked AS w
JOIN first_publication AS f
  ON f.first_rank = 1
  AND w.report_type = f.report_type
  AND w.market_code = f.market_code
  AND w.report_date = f.report_date
WHERE
  w.newest_rank = 1
