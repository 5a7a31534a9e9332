"""Errors a user can cause. The CLI prints their message as one line and exits non-zero."""


class GameganError(Exception):
    """Base class: anything raised with this type is the user's to fix, not a bug."""


class ConfigError(GameganError):
    """A preset, flag or ``--set`` value is unknown, mistyped or out of range."""


class DataError(GameganError):
    """A data file or folder is missing, empty, corrupt or of the wrong kind."""


class CheckpointError(GameganError):
    """A snapshot or state file is missing, not safetensors, or of another model."""


class AudioError(GameganError):
    """Audio cannot be rendered: no synthesizer or no General MIDI soundfont was found."""
