"""Token Budget's cost engine: pure Python, no Qt, no pyqtgraph, no network."""
