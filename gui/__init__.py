"""Token Budget's Qt user interface: windows, panels and pyqtgraph charts over core/."""
