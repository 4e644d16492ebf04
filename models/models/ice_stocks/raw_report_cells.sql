-- Raw cells of ICE's daily certified-stock report (.xls): every block, origin and port.
-- Grain: one row per (raw file, block, table_title, origin, port_code). Source: ice_stocks
-- landing `report_cells`. Unit: bags (60 kg).
MODEL (
  name raw.ice_stocks_report_cells,
  kind VIEW,
  description 'ICE daily certified stock report cells (origin x port per block) as landed, every file.'
);

SELECT
  *
FROM @landing(@landing_root, 'ice_stocks/report_cells')
