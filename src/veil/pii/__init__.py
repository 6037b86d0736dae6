"""Personal data: the kinds veil knows, how they are found, and how they are replaced."""
from .kinds import DEFAULT_POLICY, PII_KINDS, POLICIES
from .linkage import Linkage, link_records

__all__ = ["DEFAULT_POLICY", "PII_KINDS", "POLICIES", "Linkage", "link_records"]
