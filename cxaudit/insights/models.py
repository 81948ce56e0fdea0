"""Models of insights, re-exported from their sub-packages (as surveys/models/ does)."""

from .actions.models import ActionComment, ActionEvent, ActionItem
from .kpis.models import Kpi, KpiValue

__all__ = ["ActionComment", "ActionEvent", "ActionItem", "Kpi", "KpiValue"]
