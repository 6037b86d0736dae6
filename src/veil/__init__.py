"""veil: privacy-safe synthetic tabular data.

    >>> import veil
    >>> synth = veil.GaussianCopulaSynthesizer().fit(table)
    >>> synthetic = synth.sample(1000, seed=0)
    >>> synth.save("people.veil"); same = veil.load("people.veil")
"""
from ._version import __version__
from .errors import (
    InvalidDataError,
    InvalidParameterError,
    ModelFileError,
    NotFittedError,
    SourceError,
    VeilError,
)
from .io import read_table, write_table
from .metadata import Column, Metadata
from .persist import load
from .synthesizer import Synthesizer
from .synthesizers import (
    CopulaGANSynthesizer,
    CTGANSynthesizer,
    FastMLPreset,
    GaussianCopulaSynthesizer,
    TVAESynthesizer,
)

__all__ = [
    "Column",
    "CopulaGANSynthesizer",
    "CTGANSynthesizer",
    "FastMLPreset",
    "GaussianCopulaSynthesizer",
    "InvalidDataError",
    "InvalidParameterError",
    "load",
    "Metadata",
    "ModelFileError",
    "NotFittedError",
    "read_table",
    "SourceError",
    "Synthesizer",
    "TVAESynthesizer",
    "VeilError",
    "write_table",
    "__version__",
]
