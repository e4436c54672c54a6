"""Domain records: frozen dataclasses with ``StrEnum`` statuses, one module per concept.

Repositories return them, services pass them, ``threshold.wire`` renders them. A change
is a new record (``dataclasses.replace``), never a mutated dict.
"""

__all__: list[str] = []
