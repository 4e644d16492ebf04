-- psd_coffee_corrections: every USDA PSD bulk figure that a corrected re-delivery of the same
-- release changed, with the value before and after and both raw files.
-- Grain: one row per (release, old_raw_sha256, country_code, market_year, attribute_id).
-- Source: cleaned.usda_psd_corrections. Unit: 1000 60 kg bags.
MODEL (
  name serving.psd_coffee_corrections,
  kind VIEW,
  grain (release, old_raw_sha256, country_code, market_year, attribute_id),
  description 'USDA PSD coffee figures corrected by a later delivery of the same release.'
);

SELECT
  release, -- USDA release that was delivered again (YYYY-MM)
  country_code, -- USDA FAS country code
  country, -- Country name
  market_year, -- USDA Market_Year
  attribute_id, -- USDA attribute code
  old_value, -- Value in the earlier delivery; null when the correction added the key [1000 60 kg bags]
  new_value, -- Value in the later delivery, the one published; null when it removed the key [1000 60 kg bags]
  old_raw_sha256, -- sha256 of the earlier (superseded) raw file
  new_raw_sha256, -- sha256 of the later raw file, which wins
  LIST_SORT(LIST_DISTINCT(LIST_VALUE(old_raw_sha256, new_raw_sha256))) AS raw_sha256 -- Raw files the row compares: old_raw_sha256 and new_raw_sha256, sorted, distinct (a list)
FROM cleaned.usda_psd_corrections
