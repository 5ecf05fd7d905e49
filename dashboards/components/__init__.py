"""Reusable pieces of the council dashboards: the page frame, KPI cards, charts, maps, filters."""
