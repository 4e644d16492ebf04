-- Who holds the market, per market and week: net positions by trader category (disaggregated
-- and legacy), each as % of open interest, week-over-week changes and the COT index.
-- COT index (per market and report type): the net position scaled 0-100 between its minimum
-- and maximum over the trailing 26, 52 or 156 reports (this one included); null until that
-- many reports with a value exist, and when max = min. Weeks are reports, in date order, and a
-- window is a window in time too: null when its N reports span more than N weeks + 3 days
-- (from its first report date to this one), i.e. when more than one weekly report is missing
-- (a hole in the archive must not stretch a "26 w" index over a year). The 3 days absorb
-- holiday shifts of the report date; one missing report is tolerated.
-- Changes are against the previous report of the same market and report type.
-- Grain: one row per (market_code, report_type, report_date).
-- Source: cleaned.cftc_cot_disaggregated, cleaned.cftc_cot_legacy. Unit: contracts, %, 0-100.
MODEL (
  name serving.cot_positioning,
  kind FULL,
  grain (market_code, report_type, report_date),
  audits (
    unique_combination_of_columns(columns := (market_code, report_type, report_date)),
    not_null(columns := (report_date, market_code, report_type, open_interest)),
    accepted_range(column := cot_index_mm_26w, min_v := 0, max_v := 100),
    accepted_range(column := cot_index_mm_156w, min_v := 0, max_v := 100)
  ),
  description 'COT positioning per market and week: net positions, % of open interest, weekly changes and COT index (26/52/156 weeks).'
);

WITH d AS (
  SELECT @cot_week_nets(prod_merc, swap, mm, other) FROM cleaned.cftc_cot_disaggregated
), l AS (
  SELECT @cot_week_nets(noncomm, comm) FROM cleaned.cftc_cot_legacy
), joined AS (
  SELECT
    COALESCE(d.report_type, l.report_type) AS report_type,
    COALESCE(d.market_code, l.market_code) AS market_code,
    COALESCE(d.report_date, l.report_date) AS report_date,
    COALESCE(d.market_name, l.market_name) AS market_name,
    COALESCE(d.open_interest, l.open_interest) AS open_interest,
    d.prod_merc_net,
    d.swap_net,
    d.mm_net,
    d.other_net,
    l.noncomm_net,
    l.comm_net,
    CASE -- the week's files without NULLs (Spark's ARRAY_DISTINCT would keep a NULL)
      WHEN d.raw_sha256 IS NULL THEN LIST_VALUE(l.raw_sha256)
      WHEN l.raw_sha256 IS NULL THEN LIST_VALUE(d.raw_sha256)
      ELSE LIST_VALUE(d.raw_sha256, l.raw_sha256)
    END AS week_files
  FROM d
  FULL OUTER JOIN l
    ON d.report_type = l.report_type
    AND d.market_code = l.market_code
    AND d.report_date = l.report_date
)
SELECT
  report_date, -- Date the positions are as of (the Tuesday; Monday when Tuesday is a US holiday)
  market_code, -- CFTC contract market code (083731 = Coffee C)
  market_name, -- Market and exchange name as published that week
  report_type, -- futures_only or combined (futures and options, delta-adjusted)
  open_interest, -- Open interest [contracts]
  prod_merc_net, -- Producer/merchant/processor/user net position, long minus short [contracts]
  @cot_pct_oi(prod_merc_net) AS prod_merc_net_pct_oi, -- Producer/merchant/processor/user net as a share of open interest [% of open interest]
  @cot_net_change(prod_merc_net) AS prod_merc_net_change, -- Producer/merchant/processor/user net change since the previous report, null if that is more than 14 days earlier [contracts]
  swap_net, -- Swap dealer net position, long minus short [contracts]
  @cot_pct_oi(swap_net) AS swap_net_pct_oi, -- Swap dealer net as a share of open interest [% of open interest]
  @cot_net_change(swap_net) AS swap_net_change, -- Swap dealer net change since the previous report, null if that is more than 14 days earlier [contracts]
  mm_net, -- Managed money net position, long minus short [contracts]
  @cot_pct_oi(mm_net) AS mm_net_pct_oi, -- Managed money net as a share of open interest [% of open interest]
  @cot_net_change(mm_net) AS mm_net_change, -- Managed money net change since the previous report, null if that is more than 14 days earlier [contracts]
  other_net, -- Other reportable net position, long minus short [contracts]
  @cot_pct_oi(other_net) AS other_net_pct_oi, -- Other reportable net as a share of open interest [% of open interest]
  @cot_net_change(other_net) AS other_net_change, -- Other reportable net change since the previous report, null if that is more than 14 days earlier [contracts]
  noncomm_net, -- Non-commercial (legacy) net position, long minus short [contracts]
  @cot_pct_oi(noncomm_net) AS noncomm_net_pct_oi, -- Non-commercial (legacy) net as a share of open interest [% of open interest]
  @cot_net_change(noncomm_net) AS noncomm_net_change, -- Non-commercial (legacy) net change since the previous report, null if that is more than 14 days earlier [contracts]
  comm_net, -- Commercial (legacy) net position, long minus short [contracts]
  @cot_pct_oi(comm_net) AS comm_net_pct_oi, -- Commercial (legacy) net as a share of open interest [% of open interest]
  @cot_net_change(comm_net) AS comm_net_change, -- Commercial (legacy) net change since the previous report, null if that is more than 14 days earlier [contracts]
  @cot_index(mm_net, 26) AS cot_index_mm_26w, -- COT index of the managed money net: 100 * (net - min) / (max - min) over the last 26 reports incl. this one; null until 26 reports exist, when they span more than 26 weeks + 3 days (reports missing), or when max = min [0-100]
  @cot_index(mm_net, 52) AS cot_index_mm_52w, -- COT index of the managed money net: 100 * (net - min) / (max - min) over the last 52 reports incl. this one; null until 52 reports exist, when they span more than 52 weeks + 3 days (reports missing), or when max = min [0-100]
  @cot_index(mm_net, 156) AS cot_index_mm_156w, -- COT index of the managed money net: 100 * (net - min) / (max - min) over the last 156 reports incl. this one; null until 156 reports exist, when they span more than 156 weeks + 3 days (reports missing), or when max = min [0-100]
  @cot_index(noncomm_net, 26) AS cot_index_noncomm_26w, -- COT index of the non-commercial net: 100 * (net - min) / (max - min) over the last 26 reports incl. this one; null until 26 reports exist, when they span more than 26 weeks + 3 days (reports missing), or when max = min [0-100]
  @cot_index(noncomm_net, 52) AS cot_index_noncomm_52w, -- COT index of the non-commercial net: 100 * (net - min) / (max - min) over the last 52 reports incl. this one; null until 52 reports exist, when they span more than 52 weeks + 3 days (reports missing), or when max = min [0-100]
  @cot_index(noncomm_net, 156) AS cot_index_noncomm_156w, -- COT index of the non-commercial net: 100 * (net - min) / (max - min) over the last 156 reports incl. this one; null until 156 reports exist, when they span more than 156 weeks + 3 days (reports missing), or when max = min [0-100]
  LIST_SORT(LIST_DISTINCT(FLATTEN(@distinct_set(week_files) OVER (
    PARTITION BY market_code, report_type ORDER BY report_date ROWS BETWEEN 155 PRECEDING AND CURRENT ROW
  )))) AS raw_sha256 -- Raw files (disaggregated and legacy) of the reports in the trailing 156-report window, this one included: the widest COT index window; weekly changes use the previous report, inside it. Sorted, distinct (a list)
FROM joined
