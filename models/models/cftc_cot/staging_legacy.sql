-- Legacy COT positions with readable names, one row per file that published the week
-- (the yearly file repeats weeks of the year-to-date files; cleaned picks one).
-- Grain: one row per (report_type, market_code, report_date, raw_sha256).
-- Source: raw.cftc_cot_legacy. Unit: contracts (positions), traders (counts).
MODEL (
  name staging.cftc_cot_legacy,
  kind INCREMENTAL_BY_TIME_RANGE (time_column report_date, partition_by_time_column FALSE),
  start '1986-01-01',
  grain (report_type, market_code, report_date, raw_sha256),
  audits (
    not_null(columns := (report_type, market_code, report_date, open_interest, release)),
    unique_combination_of_columns(columns := (report_type, market_code, report_date, raw_sha256))
  ),
  description 'CFTC legacy COT positions, every published version of every week.'
);

SELECT
  report_type, -- futures_only or combined (futures and options, delta-adjusted)
  as_of_date_in_form_yyyy_mm_dd AS report_date, -- Date the positions are as of (a Tuesday)
  cftc_contract_market_code AS market_code, -- CFTC contract market code (083731 = Coffee C)
  market_and_exchange_names AS market_name, -- Market and exchange name as published that week
  cftc_commodity_code AS commodity_code, -- CFTC commodity code (083 = coffee)
  contract_units, -- Contract size as published
  open_interest_all AS open_interest, -- Open interest [contracts]
  noncommercial_positions_long_all AS noncomm_long, -- Non-commercial long [contracts]
  noncommercial_positions_short_all AS noncomm_short, -- Non-commercial short [contracts]
  noncommercial_positions_spreading_all AS noncomm_spread, -- Non-commercial spreading [contracts]
  commercial_positions_long_all AS comm_long, -- Commercial long [contracts]
  commercial_positions_short_all AS comm_short, -- Commercial short [contracts]
  total_reportable_positions_long_all AS tot_rept_long, -- Total reportable long [contracts]
  total_reportable_positions_short_all AS tot_rept_short, -- Total reportable short [contracts]
  nonreportable_positions_long_all AS nonrept_long, -- Non-reportable long [contracts]
  nonreportable_positions_short_all AS nonrept_short, -- Non-reportable short [contracts]
  traders_total_all AS traders_total, -- Reportable traders in the market [traders]
  traders_noncommercial_long_all AS traders_noncomm_long, -- Non-commercial traders long [traders]
  traders_noncommercial_short_all AS traders_noncomm_short, -- Non-commercial traders short [traders]
  traders_noncommercial_spreading_all AS traders_noncomm_spread, -- Non-commercial traders spreading [traders]
  traders_commercial_long_all AS traders_comm_long, -- Commercial traders long [traders]
  traders_commercial_short_all AS traders_comm_short, -- Commercial traders short [traders]
  @cot_values_key(
    market_and_exchange_names,
    open_interest_all,
    noncommercial_positions_long_all,
    noncommercial_positions_short_all,
    noncommercial_positions_spreading_all,
    commercial_positions_long_all,
    commercial_positions_short_all,
    nonreportable_positions_long_all,
    nonreportable_positions_short_all,
    traders_total_all,
    traders_noncommercial_long_all,
    traders_noncommercial_short_all
  ) AS values_key, -- The published figures as one string, to tell versions apart
  _release AS release, -- Newest report date in the file this version comes from
  _raw_sha256 AS raw_sha256, -- sha256 of the raw file in the archive
  _line AS raw_line -- Line of the row in the raw text file
FROM raw.cftc_cot_legacy
WHERE
  _period BETWEEN @start_date AND @end_date
