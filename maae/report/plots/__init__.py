"""The paper's figures, one module per family; maae.report.figures is their command line.

Every figure function takes a ``Results`` (one results root) and returns the figure with the list of panels it
could not draw; a figure that cannot be drawn at all raises ``Unavailable`` and becomes a placeholder.
"""
