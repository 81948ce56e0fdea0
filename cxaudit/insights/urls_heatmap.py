"""Journey heatmap, drill-down, league table and report card URLs (included by urls.py)."""

heatmap_urlpatterns: list = []
