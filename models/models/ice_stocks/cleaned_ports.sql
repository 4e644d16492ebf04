-- The delivery ports of the Coffee C contract, with the codes each upstream form uses:
-- ICE's report prints NY, HA/BR, MIAMI, NOLA, VA; the JSON uses NYK, HAM, MIA, NOR, VIR.
-- Grain: one row per published port_code. Source: ICE Coffee C rules (delivery points). Unit: none.
MODEL (
  name cleaned.ice_stocks_ports,
  kind FULL,
  grain port_code,
  audits (unique_values(columns := (port_code))),
  description 'Coffee C delivery ports and the codes the upstream forms use for them.'
);

SELECT
  port_code, -- Port code as published by one of the forms
  port, -- Canonical port code (ICE report spelling)
  port_name -- Delivery port
FROM (
  VALUES
    ('ANT', 'ANT', 'Antwerp'),
    ('BAR', 'BAR', 'Barcelona'),
    ('HA/BR', 'HA/BR', 'Hamburg/Bremen'),
    ('HAM', 'HA/BR', 'Hamburg/Bremen'),
    ('HOU', 'HOU', 'Houston'),
    ('MIAMI', 'MIAMI', 'Miami'),
    ('MIA', 'MIAMI', 'Miami'),
    ('NOLA', 'NOLA', 'New Orleans'),
    ('NOR', 'NOLA', 'New Orleans'),
    ('NY', 'NY', 'New York'),
    ('NYK', 'NY', 'New York'),
    ('VA', 'VA', 'Virginia'),
    ('VIR', 'VA', 'Virginia')
) AS t(port_code, port, port_name)
