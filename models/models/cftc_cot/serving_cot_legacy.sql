-- CFTC legacy Commitments of Traders: non-commercial, commercial and non-reportable positions per market and week (from 1986).
-- The figures are exactly as CFTC published them in its newest file for the week.
-- Grain: one row per (market_code, report_type, report_date). Source: cleaned.cftc_cot_legacy.
-- Unit: contracts (positions), traders (counts).
MODEL (
  name serving.cot_legacy,
  kind FULL,
  grain (market_code, report_type, report_date),
  audits (
    unique_combination_of_columns(columns := (market_code, report_type, report_date)),
    not_null(columns := (report_date, market_code, report_type, open_interest))
  ),
  description 'CFTC legacy Commitments of Traders: non-commercial, commercial and non-reportable positions per market and week (from 1986).'
);

SELECT
  report_date, -- Date the positions are as of: the Tuesday (Monday when Tuesday is a US holiday)
  market_code, -- CFTC contract market code (083731 = Coffee C)
  market_name, -- Market and exchange name as published that week
  report_type, -- futures_only or combined (futures and options, delta-adjusted)
  contract_units, -- Contract size as published
  open_interest, -- Open interest [contracts]
  noncomm_long, -- Non-commercial long [contracts]
  noncomm_short, -- Non-commercial short [contracts]
  noncomm_spread, -- Non-commercial spreading [contracts]
  comm_long, -- Commercial long [contracts]
  comm_short, -- Commercial short [contracts]
  nonrept_long, -- Non-reportable long [contracts]
  nonrept_short, -- Non-reportable short [contracts]
  traders_total, -- Reportable traders in the market [traders]
  traders_noncomm_long, -- Non-commercial traders long [traders]
  traders_noncomm_short, -- Non-commercial traders short [traders]
  traders_noncomm_spread, -- Non-commercial traders spreading [traders]
  traders_comm_long, -- Commercial traders long [traders]
  traders_comm_short, -- Commercial traders short [traders]
  release, -- Newest report date of the first CFTC file that published these figures
  raw_sha256 -- sha256 of that raw file in the archive
FROM cleaned.cftc_cot_legacy
