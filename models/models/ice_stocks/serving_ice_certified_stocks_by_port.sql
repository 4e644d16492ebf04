-- Certified Arabica stocks per delivery port and trading day, from ICE's own daily report when
-- there is one for the day, else from the per-port JSON. A port absent on a day holds 0 bags
-- (both forms list only ports with stock or print 0).
-- Grain: one row per (date, port). Source: staging.ice_stocks_port_observations,
-- cleaned.ice_stocks_ports. Unit: bags of 60 kg.
MODEL (
  name serving.ice_certified_stocks_by_port,
  kind FULL,
  grain (date, port),
  audits (
    not_null(columns := (date, port, bags, source)),
    unique_combination_of_columns(columns := (date, port)),
    stocks_non_negative(column := bags)
  ),
  description 'ICE Coffee C certified Arabica stocks by delivery port and trading day.'
);

WITH newest AS (
  SELECT
    o.date,
    COALESCE(p.port, o.port_code) AS port,
    p.port_name,
    o.bags,
    o.origin_form,
    o.raw_sha256,
    ROW_NUMBER() OVER (
      PARTITION BY o.date, COALESCE(p.port, o.port_code)
      ORDER BY CASE o.origin_form WHEN 'ice_report_xls' THEN 1 ELSE 2 END, o.as_of DESC, o.raw_sha256
    ) AS rn,
    MIN(CASE o.origin_form WHEN 'ice_report_xls' THEN 1 ELSE 2 END) OVER (PARTITION BY o.date) AS best_rank,
    CASE o.origin_form WHEN 'ice_report_xls' THEN 1 ELSE 2 END AS form_rank
  FROM staging.ice_stocks_port_observations AS o
  LEFT JOIN cleaned.ice_stocks_ports AS p
    ON o.port_code = p.port_code
)
SELECT
  date, -- Trading day
  port, -- Delivery port code as ICE's report prints it (ANT, BAR, HA/BR, HOU, MIAMI, NOLA, NY, VA)
  port_name, -- Delivery port name
  bags, -- Certified stock in the port [bags of 60 kg]
  origin_form AS source, -- Form the day's port split comes from: ice_report_xls or ports_json
  raw_sha256 -- sha256 of the raw file the port's value comes from; one file per row
FROM newest
WHERE
  rn = 1 AND form_rank = best_rank
