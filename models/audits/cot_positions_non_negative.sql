-- COT positions (long, short, spreading, open interest) are counts of contracts: never negative.
-- Only the "Change in ..." columns may be negative, and they are not audited here.
AUDIT (
  name cot_positions_non_negative
);

SELECT
  *
FROM @this_model
WHERE
  @OR(@EACH(@columns, c -> c < 0))
