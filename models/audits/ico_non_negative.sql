-- ICO quantities (production, trade, stocks) cannot be negative: a garbled value. Blocking.
AUDIT (
  name ico_non_negative
);

SELECT
  *
FROM @this_model
WHERE
  value_raw < 0
