"""Errors of the project layer, in one place so every step of loading can raise them."""


class ProjectFileError(ValueError):
    """A project file cannot be opened or saved; the message says why, in one line."""
