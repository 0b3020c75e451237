"""Who did something: the actor recorded with every ledger entry.

An actor is a value, not a foreign key, so that the audit log stays readable
and verifiable even after an account is deactivated or renamed.
"""

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Actor:
    kind: str  # "user", "client" (a G2G department system) or "system"
    id: str
    label: str

    @property
    def ref(self) -> str:
        return f"{self.kind}:{self.id}"

    @classmethod
    def system(cls, name: str) -> "Actor":
        """Return the actor for work the platform does by itself (tasks, commands)."""
        return cls(kind="system", id=name, label=name)
