"""The one failure the bench reports as broken, as opposed to a figure that missed its target."""


class BenchError(Exception):
    """Something went wrong in the measurement itself; the message says what."""
