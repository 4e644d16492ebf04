-- CFTC disaggregated Commitments of Traders: positions by producer/merchant, swap dealer, managed money and other reportables, per market and week.
-- The figures are exactly as CFTC published them in its newest file for the week.
-- Grain: one row per (market_code, report_type, report_date). Source: cleaned.cftc_cot_disaggregated.
-- Unit: contracts (positions), traders (counts).
MODEL (
  name serving.cot_disaggregated,
  kind FULL,
  grain (market_code, report_type, report_date),
  audits (
    unique_combination_of_columns(columns := (market_code, report_type, report_date)),
    not_null(columns := (report_date, market_code, report_type, open_interest))
  ),
  description 'CFTC disaggregated Commitments of Traders: positions by producer/merchant, swap dealer, managed money and other reportables, per market and week.'
);

SELECT
  report_date, -- Date the positions are as of: the Tuesday (Monday when Tuesday is a US holiday)
  market_code, -- CFTC contract market code (083731 = Coffee C)
  market_name, -- Market and exchange name as published that week
  report_type, -- futures_only or combined (futures and options, delta-adjusted)
  contract_units, -- Contract size as published
  open_interest, -- Open interest [contracts]
  prod_merc_long, -- Producer/merchant/processor/user long [contracts]
  prod_merc_short, -- Producer/merchant/processor/user short [contracts]
  swap_long, -- Swap dealers long [contracts]
  swap_short, -- Swap dealers short [contracts]
  swap_spread, -- Swap dealers spreading [contracts]
  mm_long, -- Managed money long [contracts]
  mm_short, -- Managed money short [contracts]
  mm_spread, -- Managed money spreading [contracts]
  other_long, -- Other reportables long [contracts]
  other_short, -- Other reportables short [contracts]
  other_spread, -- Other reportables spreading [contracts]
  nonrept_long, -- Non-reportable long [contracts]
  nonrept_short, -- Non-reportable short [contracts]
  traders_total, -- Reportable traders in the market [traders]
  traders_prod_merc_long, -- Producer/merchant traders long [traders]
  traders_prod_merc_short, -- Producer/merchant traders short [traders]
  traders_swap_long, -- Swap dealer traders long [traders]
  traders_swap_short, -- Swap dealer traders short [traders]
  traders_swap_spread, -- Swap dealer traders spreading [traders]
  traders_mm_long, -- Managed money traders long [traders]
  traders_mm_short, -- Managed money traders short [traders]
  traders_mm_spread, -- Managed money traders spreading [traders]
  traders_other_long, -- Other reportable traders long [traders]
  traders_other_short, -- Other reportable traders short [traders]
  traders_other_spread, -- Other reportable traders spreading [traders]
  release, -- Newest report date of the first CFTC file that published these figures
  raw_sha256 -- sha256 of that raw file in the archive
FROM cleaned.cftc_cot_disaggregated
