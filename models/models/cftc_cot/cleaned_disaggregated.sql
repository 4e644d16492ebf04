-- One row per COT week and market: the figures of the newest file that published the week
-- (newest = larger release, i.e. newer last report date; ties by raw_sha256, for determinism).
-- Lineage names the first file that published exactly these figures, so a file that only
-- repeats a week changes nothing here. Changed figures are listed in cleaned.cftc_cot_revisions.
-- Grain: one row per (report_type, market_code, report_date). Source: staging.cftc_cot_disaggregated.
-- Unit: contracts (positions), traders (counts).
MODEL (
  name cleaned.cftc_cot_disaggregated,
  kind INCREMENTAL_BY_TIME_RANGE (time_column report_date, partition_by_time_column FALSE),
  start '1986-01-01',
  grain (report_type, market_code, report_date),
  audits (
    unique_combination_of_columns(columns := (report_type, market_code, report_date)),
    not_null(columns := (report_type, market_code, report_date, open_interest)),
    cot_positions_non_negative(columns := (open_interest, prod_merc_long, prod_merc_short, swap_long, swap_short, swap_spread, mm_long, mm_short, mm_spread, other_long, other_short, other_spread, nonrept_long, nonrept_short)),
    cot_open_interest_identity(
      long_total := prod_merc_long + swap_long + swap_spread + mm_long + mm_spread + other_long + other_spread + nonrept_long,
      short_total := prod_merc_short + swap_short + swap_spread + mm_short + mm_spread + other_short + other_spread + nonrept_short
    ),
    cot_report_date_tuesday
  ),
  description 'CFTC disaggregated COT positions: one row per week and market, newest published figures.'
);

SELECT
  w.report_type, -- futures_only or combined (futures and options, delta-adjusted)
  w.report_date, -- Date the positions are as of (a Tuesday)
  w.market_code, -- CFTC contract market code (083731 = Coffee C)
  w.market_name, -- Market and exchange name as published that week
  w.commodity_code, -- CFTC commodity code (083 = coffee)
  w.contract_units, -- Contract size as published
  w.open_interest, -- Open interest [contracts]
  w.prod_merc_long, -- Producer/merchant/processor/user long [contracts]
  w.prod_merc_short, -- Producer/merchant/processor/user short [contracts]
  w.swap_long, -- Swap dealers long [contracts]
  w.swap_short, -- Swap dealers short [contracts]
  w.swap_spread, -- Swap dealers spreading [contracts]
  w.mm_long, -- Managed money long [contracts]
  w.mm_short, -- Managed money short [contracts]
  w.mm_spread, -- Managed money spreading [contracts]
  w.other_long, -- Other reportables long [contracts]
  w.other_short, -- Other reportables short [contracts]
  w.other_spread, -- Other reportables spreading [contracts]
  w.tot_rept_long, -- Total reportable long [contracts]
  w.tot_rept_short, -- Total reportable short [contracts]
  w.nonrept_long, -- Non-reportable long [contracts]
  w.nonrept_short, -- Non-reportable short [contracts]
  w.traders_total, -- Reportable traders in the market [traders]
  w.traders_prod_merc_long, -- Producer/merchant traders long [traders]
  w.traders_prod_merc_short, -- Producer/merchant traders short [traders]
  w.traders_swap_long, -- Swap dealer traders long [traders]
  w.traders_swap_short, -- Swap dealer traders short [traders]
  w.traders_swap_spread, -- Swap dealer traders spreading [traders]
  w.traders_mm_long, -- Managed money traders long [traders]
  w.traders_mm_short, -- Managed money traders short [traders]
  w.traders_mm_spread, -- Managed money traders spreading [traders]
  w.traders_other_long, -- Other reportable traders long [traders]
  w.traders_other_short, -- Other reportable traders short [traders]
  w.traders_other_spread, -- Other reportable traders spreading [traders]
  w.first_release AS release, -- Newest report date of the first file that published these figures
  w.first_raw_sha256 AS raw_sha256, -- sha256 of that raw file
  w.first_raw_line AS raw_line -- Line of the row in that raw file
FROM @cot_newest_figures(staging.cftc_cot_disaggregated, @start_date, @end_date) AS w
