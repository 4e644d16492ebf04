-- Every published price row has a known unit: a configured series whose unit the models cannot
-- convert to US cents/lb (a new quotation unit in source.toml) yields NULL and fails here.
AUDIT (
  name price_converted
);

SELECT
  *
FROM @this_model
WHERE
  @column IS NULL AND @value IS NOT NULL
