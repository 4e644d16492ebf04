-- Prices must be positive: a zero or negative price means a garbled file or a broken unit
-- conversion (coffee has never traded at or below zero). NULL (not published) passes.
-- Blocking: a failing row stops the model, and the build keeps the last good datasets.
AUDIT (
  name price_positive
);

SELECT
  *
FROM @this_model
WHERE
  @REDUCE(@EACH(@columns, c -> c <= 0), (l, r) -> l OR r)
