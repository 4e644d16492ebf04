-- Disaggregated COT positions with readable names, one row per file that published the week
-- (the yearly file repeats weeks of the year-to-date files; cleaned picks one).
-- Grain: one row per (report_type, market_code, report_date, raw_sha256).
-- Source: raw.cftc_cot_disaggregated. Unit: contracts (positions), traders (counts).
MODEL (
  name staging.cftc_cot_disaggregated,
  kind INCREMENTAL_BY_TIME_RANGE (time_column report_date, partition_by_time_column FALSE),
  start '1986-01-01',
  grain (report_type, market_code, report_date, raw_sha256),
  audits (
    not_null(columns := (report_type, market_code, report_date, open_interest, release)),
    unique_combination_of_columns(columns := (report_type, market_code, report_date, raw_sha256))
  ),
  description 'CFTC disaggregated COT positions, every published version of every week.'
);

SELECT
  report_type, -- futures_only or combined (futures and options, delta-adjusted)
  report_date_as_yyyy_mm_dd AS report_date, -- Date the positions are as of (a Tuesday)
  cftc_contract_market_code AS market_code, -- CFTC contract market code (083731 = Coffee C)
  market_and_exchange_names AS market_name, -- Market and exchange name as published that week
  cftc_commodity_code AS commodity_code, -- CFTC commodity code (083 = coffee)
  contract_units, -- Contract size as published
  open_interest_all AS open_interest, -- Open interest [contracts]
  prod_merc_positions_long_all AS prod_merc_long, -- Producer/merchant/processor/user long [contracts]
  prod_merc_positions_short_all AS prod_merc_short, -- Producer/merchant/processor/user short [contracts]
  swap_positions_long_all AS swap_long, -- Swap dealers long [contracts]
  swap_positions_short_all AS swap_short, -- Swap dealers short [contracts]
  swap_positions_spread_all AS swap_spread, -- Swap dealers spreading [contracts]
  m_money_positions_long_all AS mm_long, -- Managed money long [contracts]
  m_money_positions_short_all AS mm_short, -- Managed money short [contracts]
  m_money_positions_spread_all AS mm_spread, -- Managed money spreading [contracts]
  other_rept_positions_long_all AS other_long, -- Other reportables long [contracts]
  other_rept_positions_short_all AS other_short, -- Other reportables short [contracts]
  other_rept_positions_spread_all AS other_spread, -- Other reportables spreading [contracts]
  tot_rept_positions_long_all AS tot_rept_long, -- Total reportable long [contracts]
  tot_rept_positions_short_all AS tot_rept_short, -- Total reportable short [contracts]
  nonrept_positions_long_all AS nonrept_long, -- Non-reportable long [contracts]
  nonrept_positions_short_all AS nonrept_short, -- Non-reportable short [contracts]
  traders_tot_all AS traders_total, -- Reportable traders in the market [traders]
  traders_prod_merc_long_all AS traders_prod_merc_long, -- Producer/merchant traders long [traders]
  traders_prod_merc_short_all AS traders_prod_merc_short, -- Producer/merchant traders short [traders]
  traders_swap_long_all AS traders_swap_long, -- Swap dealer traders long [traders]
  traders_swap_short_all AS traders_swap_short, -- Swap dealer traders short [traders]
  traders_swap_spread_all AS traders_swap_spread, -- Swap dealer traders spreading [traders]
  traders_m_money_long_all AS traders_mm_long, -- Managed money traders long [traders]
  traders_m_money_short_all AS traders_mm_short, -- Managed money traders short [traders]
  traders_m_money_spread_all AS traders_mm_spread, -- Managed money traders spreading [traders]
  traders_other_rept_long_all AS traders_other_long, -- Other reportable traders long [traders]
  traders_other_rept_short_all AS traders_other_short, -- Other reportable traders short [traders]
  traders_other_rept_spread_all AS traders_other_spread, -- Other reportable traders spreading [traders]
  @cot_values_key(
    market_and_exchange_names,
    open_interest_all,
    prod_merc_positions_long_all,
    prod_merc_positions_short_all,
    swap_positions_long_all,
    swap_positions_short_all,
    swap_positions_spread_all,
    m_money_positions_long_all,
    m_money_positions_short_all,
    m_money_positions_spread_all,
    other_rept_positions_long_all,
    other_rept_positions_short_all,
    other_rept_positions_spread_all,
    nonrept_positions_long_all,
    nonrept_positions_short_all,
    traders_tot_all,
    traders_m_money_long_all,
    traders_m_money_short_all
  ) AS values_key, -- The published figures as one string, to tell versions apart
  _release AS release, -- Newest report date in the file this version comes from
  _raw_sha256 AS raw_sha256, -- sha256 of the raw file in the archive
  _line AS raw_line -- Line of the row in the raw text file
FROM raw.cftc_cot_disaggregated
WHERE
  _period BETWEEN @start_date AND @end_date
