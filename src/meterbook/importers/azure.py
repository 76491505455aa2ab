"""Placeholder: filled in by its format module."""
