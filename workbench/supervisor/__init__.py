"""The supervisor: plan, select, execute in parallel, evaluate, iterate.

Issue 5 is in progress: the executor, planning and evidence exist so far.
"""
