"""The market pages, one module each; this module keeps their public names in one place."""

from beanflows.render.market_common import kpi  # noqa: F401
from beanflows.render.pages_positioning import COT, COT_IDX, cot_series, positioning  # noqa: F401
from beanflows.render.pages_prices import PRICES, prices  # noqa: F401
from beanflows.render.pages_warehouse import warehouse  # noqa: F401
from beanflows.render.pages_weather import ALERTS, active_alerts, weather  # noqa: F401
