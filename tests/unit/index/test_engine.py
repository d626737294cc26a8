"""PostgreSQL engines: index-cache commits are asynchronous unless a write asks to be durable."""

from __future__ import annotations

from urllib.parse import quote

from sqlalchemy import text

from service.index.db import make_engine, writing


def test_commits_are_asynchronous_but_durable_writes_wait(postgres_url: str) -> None:
    engine = make_engine(postgres_url)
    with engine.connect() as conn:
        assert conn.execute(text("SHOW synchronous_commit")).scalar_one() == "off"
    with writing(engine) as conn:
        assert conn.execute(text("SHOW synchronous_commit")).scalar_one() == "on"
    with writing(engine, durable=False) as conn:
        assert conn.execute(text("SHOW synchronous_commit")).scalar_one() == "off"
    engine.dispose()


def test_options_in_the_url_are_kept(postgres_url: str) -> None:
    options = quote("-c statement_timeout=4321")
    engine = make_engine(f"{postgres_url}?options={options}")
    with engine.connect() as conn:
        assert conn.execute(text("SHOW statement_timeout")).scalar_one() == "4321ms"
        assert conn.execute(text("SHOW synchronous_commit")).scalar_one() == "off"
    engine.dispose()
