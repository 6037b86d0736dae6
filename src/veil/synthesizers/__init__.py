"""Every synthesizer veil offers, by the name the CLI and model files use."""
from __future__ import annotations

from ..errors import InvalidParameterError
from ..synthesizer import Synthesizer
from .autoregressive import AutoregressiveSynthesizer
from .copula import FastMLPreset, GaussianCopulaSynthesizer
from .deep import CopulaGANSynthesizer, CTGANSynthesizer, TableGANSynthesizer, TGANSynthesizer, TVAESynthesizer
from .mst import MSTSynthesizer

REGISTRY: dict[str, type[Synthesizer]] = {
    cls.model_name: cls for cls in (GaussianCopulaSynthesizer, FastMLPreset, CTGANSynthesizer, TVAESynthesizer,
                                    CopulaGANSynthesizer, TableGANSynthesizer, TGANSynthesizer,
                                    AutoregressiveSynthesizer, MSTSynthesizer)
}
#: the model of ``veil fit`` and ``veil demo`` when none is named: the best on fidelity and speed
DEFAULT_MODEL = "autoregressive"


def synthesizer_class(name: str) -> type[Synthesizer]:
    """The synthesizer class registered under ``name``."""
    try:
        return REGISTRY[name]
    except KeyError:
        raise InvalidParameterError(f"unknown model {name!r}; choose one of {', '.join(sorted(REGISTRY))}") from None


__all__ = ["DEFAULT_MODEL", "REGISTRY", "AutoregressiveSynthesizer", "CTGANSynthesizer", "CopulaGANSynthesizer",
           "FastMLPreset", "GaussianCopulaSynthesizer", "MSTSynthesizer", "TGANSynthesizer", "TVAESynthesizer",
           "TableGANSynthesizer", "synthesizer_class"]
