"""Prompt optimisation: DSPy optimisers tuning the text2sql program and the pairwise judge (``workbench optimize``)."""
