"""The chart widgets (pyqtgraph), one per kind of charts.md, shared by the Dashboard, Trends,
Budgets, Compare and the report writer. Each is fed series the store already aggregated: a
chart never queries the database and never prices anything."""
