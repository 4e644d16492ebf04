-- One row per COT week and market: the figures of the newest file that published the week
-- (newest = larger release, i.e. newer last report date; ties by raw_sha256, for determinism).
-- Lineage names the first file that published exactly these figures, so a file that only
-- repeats a week changes nothing here. Changed figures are listed in cleaned.cftc_cot_revisions.
-- Grain: one row per (report_type, market_code, report_date). Source: staging.cftc_cot_legacy.
-- Unit: contracts (positions), traders (counts).
MODEL (
  name cleaned.cftc_cot_legacy,
  kind INCREMENTAL_BY_TIME_RANGE (time_column report_date, partition_by_time_column FALSE),
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
  w.first_release AS release, -- Newest report date of the first file that published these figures
  w.first_raw_sha256 AS raw_sha256, -- sha256 of that raw file
  w.first_raw_line AS raw_line -- Line of the row in that raw file
FROM @cot_newest_figures(staging.cftc_cot_legacy, @start_date, @end_date) AS w
