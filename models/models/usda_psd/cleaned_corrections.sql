-- Corrections: figures of a USDA bulk release that a later delivery of the same release
-- changed, removed or added. The later delivery wins everywhere else; this table keeps what
-- the earlier file said, so a correction is a recorded revision, never a silent overwrite.
-- Grain: one row per (release, old_raw_sha256, country_code, market_year, attribute_id).
-- Source: staging.usda_psd_bulk. Unit: 1000 60 kg bags.
MODEL (
  name cleaned.usda_psd_corrections,
  kind INCREMENTAL_BY_TIME_RANGE (time_column release_date, partition_by_time_column FALSE),
  start '2000-01-01',
  grain (release, old_raw_sha256, country_code, market_year, attribute_id),
  audits (
    unique_combination_of_columns(
      columns := (release, old_raw_sha256, country_code, market_year, attribute_id)
    )
  ),
  description 'USDA PSD figures changed by a corrected re-delivery of the same release.'
);

WITH old AS (
  SELECT
    *
  FROM staging.usda_psd_bulk
  WHERE
    release_date BETWEEN @start_date AND @end_date AND superseded
), new AS (
  SELECT
    *
  FROM staging.usda_psd_bulk
  WHERE
    release_date BETWEEN @start_date AND @end_date
    AND NOT superseded
    AND release IN (
      SELECT
        release
      FROM old
    )
), old_files AS (
  SELECT DISTINCT
    release,
    raw_sha256
  FROM old
), new_files AS (
  SELECT DISTINCT
    release,
    raw_sha256
  FROM new
), changed AS (
  SELECT
    o.release,
    o.release_date,
    o.country_code,
    o.country,
    o.market_year,
    o.attribute_id,
    o.value AS old_value,
    n.value AS new_value,
    o.raw_sha256 AS old_raw_sha256,
    nf.raw_sha256 AS new_raw_sha256
  FROM old AS o
  JOIN new_files AS nf
    ON nf.release = o.release
  LEFT JOIN new AS n
    ON n.release = o.release
    AND n.country_code = o.country_code
    AND n.market_year = o.market_year
    AND n.attribute_id = o.attribute_id
  WHERE
    n.value IS NULL OR n.value <> o.value
), added AS (
  SELECT
    n.release,
    n.release_date,
    n.country_code,
    n.country,
    n.market_year,
    n.attribute_id,
    CAST(NULL AS DECIMAL(18, 4)) AS old_value,
    n.value AS new_value,
    f.raw_sha256 AS old_raw_sha256,
    n.raw_sha256 AS new_raw_sha256
  FROM new AS n
  JOIN old_files AS f
    ON f.release = n.release
  LEFT JOIN old AS o
    ON o.raw_sha256 = f.raw_sha256
    AND o.release = n.release
    AND o.country_code = n.country_code
    AND o.market_year = n.market_year
    AND o.attribute_id = n.attribute_id
  WHERE
    o.value IS NULL
)
SELECT
  release, -- USDA release that was delivered again (YYYY-MM)
  release_date, -- First day of the release month
  country_code, -- USDA FAS country code
  country, -- Country name
  market_year, -- USDA Market_Year
  attribute_id, -- USDA attribute code
  old_value, -- Value in the earlier delivery; null when the correction added the key [1000 60 kg bags]
  new_value, -- Value in the later delivery, the one published; null when it removed the key [1000 60 kg bags]
  old_raw_sha256, -- sha256 of the earlier (superseded) raw file
  new_raw_sha256 -- sha256 of the later raw file, which wins
FROM changed
UNION ALL
SELECT
  release,
  release_date,
  country_code,
  country,
  market_year,
  attribute_id,
  old_value,
  new_value,
  old_raw_sha256,
  new_raw_sha256
FROM added
