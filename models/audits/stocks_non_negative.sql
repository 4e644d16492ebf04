-- A stock count below zero is impossible: a garbled or shifted column. Failing rows are returned
-- and the model (with every dataset built on it) is not published.
AUDIT (
  name stocks_non_negative
);

SELECT
  *
FROM @this_model
WHERE
  @column < 0
