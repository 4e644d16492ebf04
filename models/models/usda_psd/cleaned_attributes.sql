-- The PSD coffee attributes with the name of the newest bulk release: USDA's spelling drifts
-- between releases ("Beans Exports" vs "Bean Exports"), so the code is the key.
-- Grain: one row per attribute_id. Source: staging.usda_psd_bulk. Unit: none.
MODEL (
  name cleaned.usda_psd_attributes,
  kind FULL,
  grain attribute_id,
  audits (unique_values(columns := (attribute_id)))
);

SELECT
  attribute_id, -- USDA attribute code
  attribute, -- Attribute name in the newest release
  unit, -- Unit as published
  commodity_code, -- USDA commodity code
  commodity -- USDA commodity name
FROM (
  SELECT
    attribute_id,
    attribute,
    unit,
    commodity_code,
    commodity,
    ROW_NUMBER() OVER (PARTITION BY attribute_id ORDER BY release DESC, attribute) AS rn
  FROM staging.usda_psd_bulk
  WHERE
    NOT superseded
) AS ranked
WHERE
  rn = 1
