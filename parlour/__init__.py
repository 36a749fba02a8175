"""Parlour: a private, self-hosted video-calling service for a handful of people."""

__version__ = "0.1.0"
