-- Raw CFTC legacy COT rows exactly as landed (configured markets only, every file).
-- Grain: one row per (landed file, line). Source: CFTC deacot / deahistfo / newcot files.
-- Unit: contracts, traders and percent as published, typed by the extractor.
MODEL (
  name raw.cftc_cot_legacy,
  kind VIEW,
  description 'CFTC legacy Commitments of Traders rows as landed, every file and vintage.'
);

SELECT
  *
FROM @landing(@landing_root, 'cftc_cot/legacy')
