-- A commodity's quantities arrive in its configured mass unit (commodities.toml psd_unit): a
-- row in another PSD mass unit (USDA switched units) would publish numbers 1000x or 17x off.
AUDIT (
  name psd_unit_configured
);

SELECT
  *
FROM @this_model
WHERE
  unit_changed
