-- Who holds each configured commodity's futures (commodities.toml cot_markets), per week: the
-- headline figures of cot_positioning with the commodity they belong to, so one file serves a
-- commodity page or a screen across commodities. Every figure is cot_positioning's, unchanged.
-- Grain: one row per (commodity, market_code, report_type, report_date).
-- Source: serving.cot_positioning. Unit: contracts, % of open interest, 0-100.
MODEL (
  name serving.commodity_positioning,
  kind FULL,
  grain (commodity, market_code, report_type, report_date),
  audits (
    unique_combination_of_columns(columns := (commodity, market_code, report_type, report_date)),
    not_null(columns := (commodity, report_date, market_code, report_type, open_interest))
  ),
  description 'COT positioning of every configured commodity per week: managed money, producers, swap dealers, legacy classes, COT index.'
);

SELECT
  k.commodity, -- Commodity (commodities.toml), e.g. coffee, cocoa, sugar, wheat
  p.report_date, -- Date the positions are as of (the Tuesday; Monday when Tuesday is a US holiday)
  p.market_code, -- CFTC contract market code (083731 Coffee C, 073732 Cocoa, 080732 Sugar No. 11, 001602 Wheat SRW)
  p.market_name, -- Market and exchange name as published that week
  p.report_type, -- futures_only or combined (futures and options, delta-adjusted)
  p.open_interest, -- Open interest [contracts]
  p.mm_net, -- Managed money net position, long minus short [contracts]
  p.mm_net_pct_oi, -- Managed money net as a share of open interest [% of open interest]
  p.mm_net_change, -- Managed money net change since the previous report, null if that is more than 14 days earlier [contracts]
  p.prod_merc_net, -- Producer/merchant/processor/user net position, long minus short [contracts]
  p.swap_net, -- Swap dealer net position, long minus short [contracts]
  p.other_net, -- Other reportable net position, long minus short [contracts]
  p.noncomm_net, -- Non-commercial (legacy) net position, long minus short [contracts]
  p.comm_net, -- Commercial (legacy) net position, long minus short [contracts]
  p.cot_index_mm_52w, -- COT index of the managed money net over the last 52 reports (see cot_positioning) [0-100]
  p.cot_index_mm_156w, -- COT index of the managed money net over the last 156 reports (see cot_positioning) [0-100]
  p.raw_sha256 -- Raw files of the row in cot_positioning: the trailing 156-report window (disaggregated and legacy). Sorted, distinct (a list)
FROM serving.cot_positioning AS p
JOIN @commodity_keys('cot', k)
  ON k.key = p.market_code
