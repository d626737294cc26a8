"""Every register family, in the order `reindex` replays them: a family comes after those its
rows refer to. Families about records (`per_record`) are replayed after the records."""

from __future__ import annotations

from service.auth.tokens import TOKENS
from service.channels.register import CHANNELS
from service.exports.register import EXPORTS
from service.registers.family import Family
from service.registration import REGISTRATION
from service.retention.holds import HOLDS
from service.retention.log import CULLING_LOG
from service.retention.rules import RULES
from service.retention.runs import RUNS
from service.secrecy.review import REVIEW
from service.sites.registry import SITES

# The culling log after the rules (its projection marks them used).
FAMILIES: tuple[Family, ...] = (
    SITES,
    TOKENS,
    CHANNELS,
    RULES,
    HOLDS,
    RUNS,
    CULLING_LOG,
    EXPORTS,
    REVIEW,
    REGISTRATION,
)


def authority_families() -> tuple[Family, ...]:
    return tuple(f for f in FAMILIES if not f.per_record)


def record_families() -> tuple[Family, ...]:
    return tuple(f for f in FAMILIES if f.per_record)
