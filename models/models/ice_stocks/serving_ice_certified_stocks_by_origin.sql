-- ICE's daily report detail: certified, transition and pending-grading bags by origin and
-- delivery port, one report file per day (the smallest sha256 if ICE re-issued a day). Only
-- days with an ICE .xls report.
-- Grain: one row per (date, block, origin, port). Source: staging.ice_stocks_report_cells,
-- cleaned.ice_stocks_ports. Unit: bags of 60 kg.
MODEL (
  name serving.ice_certified_stocks_by_origin,
  kind FULL,
  grain (date, block, origin, port),
  audits (
    unique_combination_of_columns(columns := (date, block, origin, port)),
    stocks_non_negative(column := bags)
  ),
  description 'ICE daily certified stock report: bags by block, origin and delivery port.'
);

WITH chosen AS (
  SELECT
    date,
    MIN(raw_sha256) AS raw_sha256
  FROM staging.ice_stocks_report_cells
  GROUP BY
    date
)
SELECT
  c.date, -- Report day
  c.block, -- certified (all certified bags), transition (subset with the 2027 transition discount), pending_grading
  c.origin, -- Origin country as printed by ICE
  COALESCE(p.port, c.port_code) AS port, -- Delivery port code as ICE prints it
  p.port_name, -- Delivery port name
  c.bags, -- Bags of that origin in that port [bags of 60 kg]
  c.raw_sha256 -- sha256 of the daily report (.xls) the row comes from; one file per row
FROM staging.ice_stocks_report_cells AS c
JOIN chosen AS n
  ON c.date = n.date AND c.raw_sha256 = n.raw_sha256
LEFT JOIN cleaned.ice_stocks_ports AS p
  ON c.port_code = p.port_code
WHERE
  NOT c.is_total_row AND c.port_code <> 'Total' AND c.table_title = ''
