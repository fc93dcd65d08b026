"""specloop: idea -> spec -> tasks -> one scoped agent session per task -> verified -> merged.

The packages under ``specloop`` are the public core API; the ``specloop`` command is a
thin layer over them (see DESIGN.md §7 for which package owns what).
"""

__version__ = "0.1.0"
__all__ = ["__version__"]
