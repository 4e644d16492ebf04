-- The PSD balance sheet must close: beginning stocks + production + imports = total supply =
-- exports + domestic consumption + ending stocks = total distribution, within rounding
-- (`tolerance`, in the table's unit). Failing rows are returned.
AUDIT (
  name balance_identity,
  defaults (tolerance = 1)
);

SELECT
  *
FROM @this_model
WHERE
  ABS(beginning_stocks + production + imports - total_supply) > @tolerance
  OR ABS(exports + domestic_consumption + ending_stocks - total_distribution) > @tolerance
  OR ABS(total_supply - total_distribution) > @tolerance
