"""The CFTC COT text layouts: exact upstream headers, landing column names and types.

The headers are matched exactly, typos included (`Swap__Positions_Short_All` with a double
underscore; the legacy `" Total Reportable Positions-Long (All)"` with a leading space): a
changed header means CFTC changed the file, and we want to hear about it rather than guess.
Landing column names are a slug of the upstream name (lower case, `%` -> `pct`, every other
run of non-alphanumerics -> `_`), so the typos disappear from everything downstream.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import pyarrow as pa

DISAGG_HEADER = (
    'Market_and_Exchange_Names', 'As_of_Date_In_Form_YYMMDD', 'Report_Date_as_YYYY-MM-DD',
    'CFTC_Contract_Market_Code', 'CFTC_Market_Code', 'CFTC_Region_Code', 'CFTC_Commodity_Code',
    'Open_Interest_All', 'Prod_Merc_Positions_Long_All', 'Prod_Merc_Positions_Short_All',
    'Swap_Positions_Long_All', 'Swap__Positions_Short_All', 'Swap__Positions_Spread_All',
    'M_Money_Positions_Long_All', 'M_Money_Positions_Short_All', 'M_Money_Positions_Spread_All',
    'Other_Rept_Positions_Long_All', 'Other_Rept_Positions_Short_All',
    'Other_Rept_Positions_Spread_All', 'Tot_Rept_Positions_Long_All',
    'Tot_Rept_Positions_Short_All', 'NonRept_Positions_Long_All', 'NonRept_Positions_Short_All',
    'Open_Interest_Old', 'Prod_Merc_Positions_Long_Old', 'Prod_Merc_Positions_Short_Old',
    'Swap_Positions_Long_Old', 'Swap__Positions_Short_Old', 'Swap__Positions_Spread_Old',
    'M_Money_Positions_Long_Old', 'M_Money_Positions_Short_Old', 'M_Money_Positions_Spread_Old',
    'Other_Rept_Positions_Long_Old', 'Other_Rept_Positions_Short_Old',
    'Other_Rept_Positions_Spread_Old', 'Tot_Rept_Positions_Long_Old',
    'Tot_Rept_Positions_Short_Old', 'NonRept_Positions_Long_Old', 'NonRept_Positions_Short_Old',
    'Open_Interest_Other', 'Prod_Merc_Positions_Long_Other', 'Prod_Merc_Positions_Short_Other',
    'Swap_Positions_Long_Other', 'Swap__Positions_Short_Other', 'Swap__Positions_Spread_Other',
    'M_Money_Positions_Long_Other', 'M_Money_Positions_Short_Other',
    'M_Money_Positions_Spread_Other', 'Other_Rept_Positions_Long_Other',
    'Other_Rept_Positions_Short_Other', 'Other_Rept_Positions_Spread_Other',
    'Tot_Rept_Positions_Long_Other', 'Tot_Rept_Positions_Short_Other',
    'NonRept_Positions_Long_Other', 'NonRept_Positions_Short_Other', 'Change_in_Open_Interest_All',
    'Change_in_Prod_Merc_Long_All', 'Change_in_Prod_Merc_Short_All', 'Change_in_Swap_Long_All',
    'Change_in_Swap_Short_All', 'Change_in_Swap_Spread_All', 'Change_in_M_Money_Long_All',
    'Change_in_M_Money_Short_All', 'Change_in_M_Money_Spread_All', 'Change_in_Other_Rept_Long_All',
    'Change_in_Other_Rept_Short_All', 'Change_in_Other_Rept_Spread_All',
    'Change_in_Tot_Rept_Long_All', 'Change_in_Tot_Rept_Short_All', 'Change_in_NonRept_Long_All',
    'Change_in_NonRept_Short_All', 'Pct_of_Open_Interest_All', 'Pct_of_OI_Prod_Merc_Long_All',
    'Pct_of_OI_Prod_Merc_Short_All', 'Pct_of_OI_Swap_Long_All', 'Pct_of_OI_Swap_Short_All',
    'Pct_of_OI_Swap_Spread_All', 'Pct_of_OI_M_Money_Long_All', 'Pct_of_OI_M_Money_Short_All',
    'Pct_of_OI_M_Money_Spread_All', 'Pct_of_OI_Other_Rept_Long_All',
    'Pct_of_OI_Other_Rept_Short_All', 'Pct_of_OI_Other_Rept_Spread_All',
    'Pct_of_OI_Tot_Rept_Long_All', 'Pct_of_OI_Tot_Rept_Short_All', 'Pct_of_OI_NonRept_Long_All',
    'Pct_of_OI_NonRept_Short_All', 'Pct_of_Open_Interest_Old', 'Pct_of_OI_Prod_Merc_Long_Old',
    'Pct_of_OI_Prod_Merc_Short_Old', 'Pct_of_OI_Swap_Long_Old', 'Pct_of_OI_Swap_Short_Old',
    'Pct_of_OI_Swap_Spread_Old', 'Pct_of_OI_M_Money_Long_Old', 'Pct_of_OI_M_Money_Short_Old',
    'Pct_of_OI_M_Money_Spread_Old', 'Pct_of_OI_Other_Rept_Long_Old',
    'Pct_of_OI_Other_Rept_Short_Old', 'Pct_of_OI_Other_Rept_Spread_Old',
    'Pct_of_OI_Tot_Rept_Long_Old', 'Pct_of_OI_Tot_Rept_Short_Old', 'Pct_of_OI_NonRept_Long_Old',
    'Pct_of_OI_NonRept_Short_Old', 'Pct_of_Open_Interest_Other', 'Pct_of_OI_Prod_Merc_Long_Other',
    'Pct_of_OI_Prod_Merc_Short_Other', 'Pct_of_OI_Swap_Long_Other', 'Pct_of_OI_Swap_Short_Other',
    'Pct_of_OI_Swap_Spread_Other', 'Pct_of_OI_M_Money_Long_Other', 'Pct_of_OI_M_Money_Short_Other',
    'Pct_of_OI_M_Money_Spread_Other', 'Pct_of_OI_Other_Rept_Long_Other',
    'Pct_of_OI_Other_Rept_Short_Other', 'Pct_of_OI_Other_Rept_Spread_Other',
    'Pct_of_OI_Tot_Rept_Long_Other', 'Pct_of_OI_Tot_Rept_Short_Other',
    'Pct_of_OI_NonRept_Long_Other', 'Pct_of_OI_NonRept_Short_Other', 'Traders_Tot_All',
    'Traders_Prod_Merc_Long_All', 'Traders_Prod_Merc_Short_All', 'Traders_Swap_Long_All',
    'Traders_Swap_Short_All', 'Traders_Swap_Spread_All', 'Traders_M_Money_Long_All',
    'Traders_M_Money_Short_All', 'Traders_M_Money_Spread_All', 'Traders_Other_Rept_Long_All',
    'Traders_Other_Rept_Short_All', 'Traders_Other_Rept_Spread_All', 'Traders_Tot_Rept_Long_All',
    'Traders_Tot_Rept_Short_All', 'Traders_Tot_Old', 'Traders_Prod_Merc_Long_Old',
    'Traders_Prod_Merc_Short_Old', 'Traders_Swap_Long_Old', 'Traders_Swap_Short_Old',
    'Traders_Swap_Spread_Old', 'Traders_M_Money_Long_Old', 'Traders_M_Money_Short_Old',
    'Traders_M_Money_Spread_Old', 'Traders_Other_Rept_Long_Old', 'Traders_Other_Rept_Short_Old',
    'Traders_Other_Rept_Spread_Old', 'Traders_Tot_Rept_Long_Old', 'Traders_Tot_Rept_Short_Old',
    'Traders_Tot_Other', 'Traders_Prod_Merc_Long_Other', 'Traders_Prod_Merc_Short_Other',
    'Traders_Swap_Long_Other', 'Traders_Swap_Short_Other', 'Traders_Swap_Spread_Other',
    'Traders_M_Money_Long_Other', 'Traders_M_Money_Short_Other', 'Traders_M_Money_Spread_Other',
    'Traders_Other_Rept_Long_Other', 'Traders_Other_Rept_Short_Other',
    'Traders_Other_Rept_Spread_Other', 'Traders_Tot_Rept_Long_Other',
    'Traders_Tot_Rept_Short_Other', 'Conc_Gross_LE_4_TDR_Long_All',
    'Conc_Gross_LE_4_TDR_Short_All', 'Conc_Gross_LE_8_TDR_Long_All',
    'Conc_Gross_LE_8_TDR_Short_All', 'Conc_Net_LE_4_TDR_Long_All', 'Conc_Net_LE_4_TDR_Short_All',
    'Conc_Net_LE_8_TDR_Long_All', 'Conc_Net_LE_8_TDR_Short_All', 'Conc_Gross_LE_4_TDR_Long_Old',
    'Conc_Gross_LE_4_TDR_Short_Old', 'Conc_Gross_LE_8_TDR_Long_Old',
    'Conc_Gross_LE_8_TDR_Short_Old', 'Conc_Net_LE_4_TDR_Long_Old', 'Conc_Net_LE_4_TDR_Short_Old',
    'Conc_Net_LE_8_TDR_Long_Old', 'Conc_Net_LE_8_TDR_Short_Old', 'Conc_Gross_LE_4_TDR_Long_Other',
    'Conc_Gross_LE_4_TDR_Short_Other', 'Conc_Gross_LE_8_TDR_Long_Other',
    'Conc_Gross_LE_8_TDR_Short_Other', 'Conc_Net_LE_4_TDR_Long_Other',
    'Conc_Net_LE_4_TDR_Short_Other', 'Conc_Net_LE_8_TDR_Long_Other',
    'Conc_Net_LE_8_TDR_Short_Other', 'Contract_Units', 'CFTC_Contract_Market_Code_Quotes',
    'CFTC_Market_Code_Quotes', 'CFTC_Commodity_Code_Quotes', 'CFTC_SubGroup_Code',
    'FutOnly_or_Combined',
)  # fmt: skip

LEGACY_HEADER = (
    'Market and Exchange Names', 'As of Date in Form YYMMDD', 'As of Date in Form YYYY-MM-DD',
    'CFTC Contract Market Code', 'CFTC Market Code in Initials', 'CFTC Region Code',
    'CFTC Commodity Code', 'Open Interest (All)', 'Noncommercial Positions-Long (All)',
    'Noncommercial Positions-Short (All)', 'Noncommercial Positions-Spreading (All)',
    'Commercial Positions-Long (All)', 'Commercial Positions-Short (All)',
    ' Total Reportable Positions-Long (All)', 'Total Reportable Positions-Short (All)',
    'Nonreportable Positions-Long (All)', 'Nonreportable Positions-Short (All)',
    'Open Interest (Old)', 'Noncommercial Positions-Long (Old)',
    'Noncommercial Positions-Short (Old)', 'Noncommercial Positions-Spreading (Old)',
    'Commercial Positions-Long (Old)', 'Commercial Positions-Short (Old)',
    'Total Reportable Positions-Long (Old)', 'Total Reportable Positions-Short (Old)',
    'Nonreportable Positions-Long (Old)', 'Nonreportable Positions-Short (Old)',
    'Open Interest (Other)', 'Noncommercial Positions-Long (Other)',
    'Noncommercial Positions-Short (Other)', 'Noncommercial Positions-Spreading (Other)',
    'Commercial Positions-Long (Other)', 'Commercial Positions-Short (Other)',
    'Total Reportable Positions-Long (Other)', 'Total Reportable Positions-Short (Other)',
    'Nonreportable Positions-Long (Other)', 'Nonreportable Positions-Short (Other)',
    'Change in Open Interest (All)', 'Change in Noncommercial-Long (All)',
    'Change in Noncommercial-Short (All)', 'Change in Noncommercial-Spreading (All)',
    'Change in Commercial-Long (All)', 'Change in Commercial-Short (All)',
    'Change in Total Reportable-Long (All)', 'Change in Total Reportable-Short (All)',
    'Change in Nonreportable-Long (All)', 'Change in Nonreportable-Short (All)',
    '% of Open Interest (OI) (All)', '% of OI-Noncommercial-Long (All)',
    '% of OI-Noncommercial-Short (All)', '% of OI-Noncommercial-Spreading (All)',
    '% of OI-Commercial-Long (All)', '% of OI-Commercial-Short (All)',
    '% of OI-Total Reportable-Long (All)', '% of OI-Total Reportable-Short (All)',
    '% of OI-Nonreportable-Long (All)', '% of OI-Nonreportable-Short (All)',
    '% of Open Interest (OI)(Old)', '% of OI-Noncommercial-Long (Old)',
    '% of OI-Noncommercial-Short (Old)', '% of OI-Noncommercial-Spreading (Old)',
    '% of OI-Commercial-Long (Old)', '% of OI-Commercial-Short (Old)',
    '% of OI-Total Reportable-Long (Old)', '% of OI-Total Reportable-Short (Old)',
    '% of OI-Nonreportable-Long (Old)', '% of OI-Nonreportable-Short (Old)',
    '% of Open Interest (OI) (Other)', '% of OI-Noncommercial-Long (Other)',
    '% of OI-Noncommercial-Short (Other)', '% of OI-Noncommercial-Spreading (Other)',
    '% of OI-Commercial-Long (Other)', '% of OI-Commercial-Short (Other)',
    '% of OI-Total Reportable-Long (Other)', '% of OI-Total Reportable-Short (Other)',
    '% of OI-Nonreportable-Long (Other)', '% of OI-Nonreportable-Short (Other)',
    'Traders-Total (All)', 'Traders-Noncommercial-Long (All)', 'Traders-Noncommercial-Short (All)',
    'Traders-Noncommercial-Spreading (All)', 'Traders-Commercial-Long (All)',
    'Traders-Commercial-Short (All)', 'Traders-Total Reportable-Long (All)',
    'Traders-Total Reportable-Short (All)', 'Traders-Total (Old)',
    'Traders-Noncommercial-Long (Old)', 'Traders-Noncommercial-Short (Old)',
    'Traders-Noncommercial-Spreading (Old)', 'Traders-Commercial-Long (Old)',
    'Traders-Commercial-Short (Old)', 'Traders-Total Reportable-Long (Old)',
    'Traders-Total Reportable-Short (Old)', 'Traders-Total (Other)',
    'Traders-Noncommercial-Long (Other)', 'Traders-Noncommercial-Short (Other)',
    'Traders-Noncommercial-Spreading (Other)', 'Traders-Commercial-Long (Other)',
    'Traders-Commercial-Short (Other)', 'Traders-Total Reportable-Long (Other)',
    'Traders-Total Reportable-Short (Other)', 'Concentration-Gross LT = 4 TDR-Long (All)',
    'Concentration-Gross LT =4 TDR-Short (All)', 'Concentration-Gross LT =8 TDR-Long (All)',
    'Concentration-Gross LT =8 TDR-Short (All)', 'Concentration-Net LT =4 TDR-Long (All)',
    'Concentration-Net LT =4 TDR-Short (All)', 'Concentration-Net LT =8 TDR-Long (All)',
    'Concentration-Net LT =8 TDR-Short (All)', 'Concentration-Gross LT =4 TDR-Long (Old)',
    'Concentration-Gross LT =4 TDR-Short (Old)', 'Concentration-Gross LT =8 TDR-Long (Old)',
    'Concentration-Gross LT =8 TDR-Short (Old)', 'Concentration-Net LT =4 TDR-Long (Old)',
    'Concentration-Net LT =4 TDR-Short (Old)', 'Concentration-Net LT =8 TDR-Long (Old)',
    'Concentration-Net LT =8 TDR-Short (Old)', 'Concentration-Gross LT =4 TDR-Long (Other)',
    'Concentration-Gross LT =4 TDR-Short(Other)', 'Concentration-Gross LT =8 TDR-Long (Other)',
    'Concentration-Gross LT =8 TDR-Short(Other)', 'Concentration-Net LT =4 TDR-Long (Other)',
    'Concentration-Net LT =4 TDR-Short (Other)', 'Concentration-Net LT =8 TDR-Long (Other)',
    'Concentration-Net LT =8 TDR-Short (Other)', 'Contract Units',
    'CFTC Contract Market Code (Quotes)', 'CFTC Market Code in Initials (Quotes)',
    'CFTC Commodity Code (Quotes)',
)  # fmt: skip

# Text columns (everything else is a number); the report date is typed DATE.
_TEXT = re.compile(r"Names|YYMMDD|Market_Code|Market Code|Region|Commodity|Units|SubGroup|FutOnly")
_DOUBLE = re.compile(r"^(Pct_|% of|Conc_|Concentration)")


def slug(name: str) -> str:
    """Landing column name of an upstream header name."""
    return re.sub(r"[^a-z0-9]+", "_", name.lower().replace("%", "pct")).strip("_")


def sql_type(name: str) -> str:
    """DuckDB type of one upstream column in landing."""
    if name in ("Report_Date_as_YYYY-MM-DD", "As of Date in Form YYYY-MM-DD"):
        return "DATE"
    if _TEXT.search(name):
        return "VARCHAR"
    return "DOUBLE" if _DOUBLE.match(name) else "BIGINT"


_ARROW = {"DATE": pa.date32(), "VARCHAR": pa.string(), "BIGINT": pa.int64(), "DOUBLE": pa.float64()}
LINEAGE = [
    ("_line", pa.int64()),
    ("_raw_sha256", pa.string()),
    ("_release", pa.string()),
    ("_period", pa.date32()),
]


def schema(header: tuple[str, ...]) -> pa.Schema:
    """Landing schema: report_type, every upstream column (slugged, typed), lineage."""
    fields = [("report_type", pa.string())]
    fields += [(slug(h), _ARROW[sql_type(h)]) for h in header]
    return pa.schema(fields + LINEAGE)


@dataclass(frozen=True)
class Report:
    """One CFTC report: its family (landing table), type, header and file names."""

    key: str  # e.g. disagg_futures_only
    table: str  # landing table: disaggregated | legacy
    report_type: str  # futures_only | combined
    header: tuple[str, ...]
    members: tuple[str, ...]  # accepted inner file names of the yearly / history zips
    week_file: str  # the current-week file (no header)
    zip_prefixes: tuple[str, ...]  # how the zips are named upstream
    futonly_value: str | None  # disaggregated files state the type in FutOnly_or_Combined

    @property
    def date_index(self) -> int:
        return 2

    @property
    def code_index(self) -> int:
        return 3


REPORTS: dict[str, Report] = {
    r.key: r
    for r in (
        Report("disagg_futures_only", "disaggregated", "futures_only", DISAGG_HEADER,
               ("f_year.txt", "F_Disagg06_16.txt"), "f_disagg.txt", ("fut_disagg_txt_",),
               "FutOnly"),
        Report("disagg_combined", "disaggregated", "combined", DISAGG_HEADER,
               ("c_year.txt", "C_Disagg06_16.txt"), "c_disagg.txt", ("com_disagg_txt_",),
               "Combined"),
        Report("legacy_futures_only", "legacy", "futures_only", LEGACY_HEADER,
               ("annual.txt", "FUT86_16.txt"), "deafut.txt", ("deacot",), None),
        Report("legacy_combined", "legacy", "combined", LEGACY_HEADER,
               ("annualof.txt", "Com95_16.txt"), "deacom.txt", ("deahistfo",), None),
    )
}  # fmt: skip
SCHEMAS: dict[str, pa.Schema] = {
    "disaggregated": schema(DISAGG_HEADER),
    "legacy": schema(LEGACY_HEADER),
}
