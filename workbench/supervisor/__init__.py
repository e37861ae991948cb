"""The supervisor: plan, select, execute in parallel, evaluate, iterate (issue 5; the executor and planning exist so far)."""
