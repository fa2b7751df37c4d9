"""PostgreSQL specifics: tampering seen through SQL, a dropped connection, URL options."""

from __future__ import annotations

import psycopg
import pytest
from psycopg import sql

from mcpea_core.audit import open_store, store_from_url
from mcpea_core.audit.postgres import PostgresStore
from mcpea_core.errors import ConfigError

from ._support import make_record

pytestmark = pytest.mark.anyio


def schema_of(url: str) -> str:
    return url.rsplit("schema=", 1)[1]


async def fill(url: str) -> None:
    store = await open_store(url)
    for i in range(3):
        await store.append_start(make_record(f"call-{i}"))
        await store.append_end(make_record(f"call-{i}", "end"))
    await store.close()


EDITS = {
    "edit": ("UPDATE {t} SET principal = 'mallory' WHERE seq = 3", ("modified", 3)),
    "delete": ("DELETE FROM {t} WHERE seq = 4", ("missing", 5)),
    "delete the tail": ("DELETE FROM {t} WHERE seq = 6", ("truncated", None)),
    "reorder": (
        "UPDATE {t} SET seq = -2 WHERE seq = 2; UPDATE {t} SET seq = 2 WHERE seq = 3; "
        "UPDATE {t} SET seq = 3 WHERE seq = -2",
        ("modified", 2),
    ),
}


@pytest.mark.parametrize("edit", list(EDITS))
async def test_tampering_in_the_table_is_detected(postgres_url: str, edit: str) -> None:
    await fill(postgres_url)
    statement, expected = EDITS[edit]
    base = postgres_url.split("?", 1)[0]
    with psycopg.connect(base, autocommit=True) as conn:
        for part in statement.split("; "):
            table = sql.Identifier(schema_of(postgres_url), "audit_records")
            conn.execute(sql.SQL(part).format(t=table))
    store = store_from_url(postgres_url)
    try:
        report = await store.verify()
    finally:
        await store.close()
    assert report.first_bad is not None
    assert (report.first_bad.kind, report.first_bad.seq) == expected


async def test_the_writer_reconnects_after_the_server_drops_it(postgres_url: str) -> None:
    store = await open_store(postgres_url)
    try:
        await store.append_start(make_record("a"))
        base = postgres_url.split("?", 1)[0]
        with psycopg.connect(base, autocommit=True) as conn:
            killed = conn.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = %s",
                (f"mcpea audit writer {schema_of(postgres_url)}.audit_records"[:63],),
            ).fetchall()
        assert killed == [(True,)]
        await store.append_end(make_record("a", "end"))  # retried once on a fresh connection
        again = await store.append_start(make_record("b"))
        assert again.seq == 3
        assert (await store.verify()).ok
    finally:
        await store.close()


def test_url_options_place_the_tables_and_the_rest_goes_to_libpq() -> None:
    store = PostgresStore.from_url("postgresql://u@h:5/db?schema=audit&table=trail&sslmode=disable")
    assert (store.schema, store.table) == ("audit", "trail")
    assert store.conninfo == "postgresql://u@h:5/db?sslmode=disable"
    assert "u@" not in repr(store) and "audit.trail" in repr(store)


@pytest.mark.parametrize("bad", ["schema=x;drop", "table=1abc", "table=a-b"])
def test_table_names_must_be_plain_identifiers(bad: str) -> None:
    with pytest.raises(ConfigError, match="plain identifier"):
        PostgresStore.from_url(f"postgresql://h/db?{bad}")
