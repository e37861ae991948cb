"""SQL tools: read-only database access and the statement guard."""
