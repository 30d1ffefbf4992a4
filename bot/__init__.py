"""Gương Sáng: report good deeds and model practices for An Giang's emulation movement."""

__version__ = "0.1.0"
