"""readlog: a tiny reading-session tracker."""

__version__ = "0.1.0"
