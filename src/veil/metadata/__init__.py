"""Column types and personal-data kinds: detected, inspected, edited and saved as JSON."""
from .model import BASE_SDTYPES, SDTYPES, Column, Metadata

__all__ = ["BASE_SDTYPES", "SDTYPES", "Column", "Metadata"]
