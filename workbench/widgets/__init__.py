"""Notebook widgets: the live trace viewer (``TraceViewer``)."""

from workbench.widgets.trace_viewer import TraceViewer, spans, timeline_figure

__all__ = ["TraceViewer", "spans", "timeline_figure"]
