"""The supervisor: plan, select, execute in parallel, evaluate, iterate, answer (``Supervisor`` in
``supervisor.py``; the graph in ``graph.py``, its nodes in ``nodes.py``, the session state in ``state.py``).
"""
