"""Python side of cimmc: plots of study results (``python3 -m cimmc.plot``)."""
