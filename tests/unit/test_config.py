"""Settings from the environment: the secrecy terms."""

from __future__ import annotations

import pytest

from service import config
from service.secrecy.terms import DEFAULT_TERMS


@pytest.mark.parametrize(
    ("environment", "terms"),
    [
        (None, DEFAULT_TERMS),
        ("hjärtsvikt, cancer* ,blodtryck", ("hjärtsvikt", "cancer*", "blodtryck")),
        ('["hjärtsvikt", "skyddad identitet"]', ("hjärtsvikt", "skyddad identitet")),
        ("", ()),  # identity numbers only
        (" , ", ()),
    ],
)
def test_secrecy_terms_come_from_the_environment(monkeypatch, tmp_path, environment, terms):
    monkeypatch.delenv("OFFENTLIG_SECRECY_TERMS", raising=False)
    if environment is not None:
        monkeypatch.setenv("OFFENTLIG_SECRECY_TERMS", environment)

    loaded = config.load({"DATA_DIR": str(tmp_path)})

    assert config.secrecy_terms(loaded) == terms
