"""The report's error type, importable without loading the explanation engine."""


class ReportError(ValueError):
    """A report cannot be made as asked; the message says why (exit code 2 in the CLI)."""
