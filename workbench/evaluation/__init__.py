"""Evaluation: datasets, metrics and runners. Nothing here changes what it measures."""
