-- Market years outside 1960..(release year + 2) mean a shifted or garbled column.
AUDIT (
  name psd_market_year_range
);

SELECT
  *
FROM @this_model
WHERE
  market_year < 1960 OR market_year > CAST(LEFT(release, 4) AS INT) + 2
