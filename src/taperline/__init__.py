"""Taperline: supervised taper support for people in recovery and their clinicians."""

__version__ = "0.1.0"
