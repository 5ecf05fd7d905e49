"""The Dash app: monitoring dashboards, open-data hub and reporting over the warehouse."""
