-- Raw CFTC disaggregated COT rows exactly as landed (configured markets only, every file).
-- Grain: one row per (landed file, line). Source: CFTC fut_disagg / com_disagg files.
-- Unit: contracts, traders and percent as published, typed by the extractor.
MODEL (
  name raw.cftc_cot_disaggregated,
  kind VIEW,
  description 'CFTC disaggregated Commitments of Traders rows as landed, every file and vintage.'
);

SELECT
  *
FROM @landing(@landing_root, 'cftc_cot/disaggregated')
