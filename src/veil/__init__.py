"""veil: privacy-safe synthetic tabular data.

    >>> import veil
    >>> synth = veil.GaussianCopulaSynthesizer().fit(table)
    >>> synthetic = synth.sample(1000, seed=0)
    >>> synth.save("people.veil"); same = veil.load("people.veil")
    >>> veil.evaluate(table, synthetic, holdout=unseen, target="income").to_html("report.html")
"""
from ._version import __version__
from .errors import (
    InvalidDataError,
    InvalidParameterError,
    ModelFileError,
    NotFittedError,
    SourceError,
    TrainingDivergedError,
    VeilError,
)
from .io import read_table, write_table
from .metadata import Column, Metadata
from .persist import load
from .synthesizer import Synthesizer
from .synthesizers import (
    AutoregressiveSynthesizer,
    CopulaGANSynthesizer,
    CTGANSynthesizer,
    FastMLPreset,
    GaussianCopulaSynthesizer,
    MSTSynthesizer,
    TableGANSynthesizer,
    TGANSynthesizer,
    TVAESynthesizer,
)

__all__ = [
    "AutoregressiveSynthesizer",
    "Column",
    "evaluate",
    "Evaluation",
    "CopulaGANSynthesizer",
    "CTGANSynthesizer",
    "FastMLPreset",
    "GaussianCopulaSynthesizer",
    "InvalidDataError",
    "InvalidParameterError",
    "load",
    "Metadata",
    "ModelFileError",
    "MSTSynthesizer",
    "NotFittedError",
    "TrainingDivergedError",
    "read_table",
    "SourceError",
    "Synthesizer",
    "TableGANSynthesizer",
    "TGANSynthesizer",
    "TVAESynthesizer",
    "VeilError",
    "write_table",
    "__version__",
]


def __getattr__(name: str):
    """``veil.evaluate`` and ``veil.Evaluation``, imported on first use: the metrics need scikit-learn,
    which a script that only fits and samples should not pay for."""
    if name in ("evaluate", "Evaluation"):
        from .metrics import evaluation

        return getattr(evaluation, name)
    raise AttributeError(f"module 'veil' has no attribute {name!r}")
