-- Weather values outside physical bounds mean a unit mix-up (°F, inches) or a garbled file:
-- 2 m temperature within -60..60 °C, tmin <= tmax, precipitation within 0..1000 mm. Blocking.
AUDIT (
  name weather_plausible
);

SELECT
  *
FROM @this_model
WHERE
  tmin_c < -60 OR tmax_c > 60 OR tmin_c > tmax_c OR precip_mm < 0 OR precip_mm > 1000
