"""qms-audit: audit a micro-credential quality management system from a terminal."""

__version__ = "0.1.0"
