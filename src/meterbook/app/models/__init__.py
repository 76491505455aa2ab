"""Qt item models that adapt store query results for the pages' views (no business rules)."""
