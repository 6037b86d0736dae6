"""Personal data: the kinds veil knows, how they are found, and how they are replaced."""
from .kinds import DEFAULT_POLICY, PII_KINDS, POLICIES

__all__ = ["DEFAULT_POLICY", "PII_KINDS", "POLICIES"]
