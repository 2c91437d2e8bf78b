"""Set-based seeding for the PostgreSQL benchmarks (`manage.py sla_bench`, `manage.py bench_seed`).

A million rows saved one by one through the ORM take hours; one `INSERT … SELECT` over
`generate_series` (or over rows seeded before) takes seconds. These helpers build such
statements from a model's own field list, so a field added later is filled with its default
instead of breaking the benchmarks, and create the benchmark's database when it is missing.
PostgreSQL only: the benchmarks refuse SQLite before they get here.
"""

from django.db import connection
from django.db.models import Model


def _maintenance_connect(database: dict):
    import psycopg

    return psycopg.connect(
        dbname="postgres",
        user=database.get("USER") or None,
        password=database.get("PASSWORD") or None,
        host=database.get("HOST") or None,
        port=database.get("PORT") or None,
        autocommit=True,
    )


def database_ensure(database: dict) -> bool:
    """Create the PostgreSQL database named by a `DATABASES` entry if it does not exist yet
    (through the `postgres` maintenance database). Returns whether it had to be created."""
    from psycopg import sql as pg_sql

    name = database["NAME"]
    with _maintenance_connect(database) as maintenance:
        exists = maintenance.execute(
            "SELECT 1 FROM pg_database WHERE datname = %s", [name]
        ).fetchone()
        if exists:
            return False
        maintenance.execute(pg_sql.SQL("CREATE DATABASE {}").format(pg_sql.Identifier(name)))
        return True


def insert_select_sql(
    model: type[Model],
    values: dict[str, str],
    *,
    source: str,
    fill_defaults: bool = True,
) -> tuple[str, dict]:
    """`INSERT INTO <model's table> (<every concrete column but the key>) SELECT … <source>`.

    `values` maps a field name, attname or column to its SQL expression over `source` (pyformat
    parameters, so a literal `%` is written `%%`). With `fill_defaults`, a column not given is
    NULL when nullable, else the field's Python default passed as a parameter; without it a
    column not given is an error, for statements that must say what every column holds.
    Returns the statement and the parameters it adds (merge the caller's own into them).
    """
    columns: list[str] = []
    expressions: list[str] = []
    params: dict = {}
    missing: list[str] = []
    for field in model._meta.concrete_fields:
        if field.primary_key:
            continue
        expression = next(
            (values[key] for key in (field.name, field.attname, field.column) if key in values),
            None,
        )
        if expression is None:
            if not fill_defaults:
                missing.append(field.column)
                continue
            if field.null:
                expression = "NULL"
            else:
                key = f"default_{field.column}"
                params[key] = field.get_db_prep_save(field.get_default(), connection)
                expression = f"%({key})s"
        columns.append(field.column)
        expressions.append(expression)
    if missing:
        raise ValueError(
            f"No value for {model._meta.label} columns {sorted(missing)}: the seeding "
            "statement must say what each holds."
        )
    sql = (
        f"INSERT INTO {model._meta.db_table} ({', '.join(columns)}) "  # noqa: S608 - names from model meta
        f"SELECT {', '.join(expressions)} {source}"
    )
    return sql, params
