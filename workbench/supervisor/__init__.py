"""The supervisor: plan, select, execute in parallel, evaluate, iterate (issue 5; only the executor exists yet)."""
