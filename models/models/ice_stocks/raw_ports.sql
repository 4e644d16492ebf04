-- Raw ICE certified-stock per-port totals as landed from the per-port JSON.
-- Grain: one row per (raw file, date, port_code). Source: ice_stocks landing `ports`. Unit: bags (60 kg).
MODEL (
  name raw.ice_stocks_ports,
  kind VIEW,
  description 'ICE certified Arabica stocks by port as landed from the JSON, every file.'
);

SELECT
  *
FROM @landing(@landing_root, 'ice_stocks/ports')
