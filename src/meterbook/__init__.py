"""Meterbook: what your AI vendors cost, computed exactly from your own exports."""

__version__ = "0.1.0"
