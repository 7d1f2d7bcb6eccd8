"""PostgreSQL / PostGIS as a data source: database URLs shown with the password masked, and
one table or query read as a frame.

A URL is passed to libpq (through SQLAlchemy and psycopg) as it is, so everything psql takes
works: a password in the URL, ``PGPASSWORD``, ``~/.pgpass``, ``PGHOST`` / ``PGUSER`` / ...
The password is never part of a message: :class:`DatabaseUrl` prints itself masked, and
database errors are scrubbed of it. SQLAlchemy, psycopg and GeoPandas load on first use.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qsl, unquote, urlsplit, urlunsplit

from .errors import InputError
from .i18n import gettext as _
from .messages import listing

if TYPE_CHECKING:
    import pandas as pd
    import sqlalchemy

SCHEMES = ("postgresql", "postgres", "postgresql+psycopg")
MASK = "***"
SHOWN_TABLES = 10  # tables named when a layer is missing


def is_database_url(value: object) -> bool:
    """Whether ``value`` is a ``postgresql://`` (or ``postgres://``) URL."""
    if isinstance(value, DatabaseUrl):
        return True
    return isinstance(value, str) and "://" in value and value.split("://")[0].lower() in SCHEMES


def mask_password(url: str) -> str:
    """``url`` with its password (in the user part or a ``password=`` parameter) as ``***``."""
    parts = urlsplit(url)
    netloc = parts.netloc
    if "@" in netloc:
        user, host = netloc.rsplit("@", 1)
        if ":" in user:
            user = user.split(":", 1)[0] + ":" + MASK
        netloc = f"{user}@{host}"
    query = "&".join(
        f"{key}={MASK}" if key.lower() == "password" else part
        for part in parts.query.split("&")
        if part
        for key in [part.split("=", 1)[0]]
    )
    return urlunsplit((parts.scheme, netloc, parts.path, query, parts.fragment))


def password_of(url: str) -> str | None:
    """The password a URL holds, if any (to scrub it from messages)."""
    parts = urlsplit(url)
    for key, value in parse_qsl(parts.query):
        if key.lower() == "password" and value:
            return value
    return unquote(parts.password) if parts.password else None


class DatabaseUrl:
    """A PostgreSQL URL. ``str()`` and ``repr()`` mask the password; ``.url`` is the URL as
    given, for the database driver only."""

    __slots__ = ("url",)

    def __init__(self, url: str | DatabaseUrl) -> None:
        self.url = url.url if isinstance(url, DatabaseUrl) else str(url)

    def __str__(self) -> str:
        return mask_password(self.url)

    def __repr__(self) -> str:
        return f"DatabaseUrl({str(self)!r})"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, DatabaseUrl) and other.url == self.url

    def __hash__(self) -> int:
        return hash(self.url)

    def __reduce__(self) -> tuple[Any, ...]:
        return (DatabaseUrl, (self.url,))

    def scrub(self, text: str) -> str:
        """``text`` with this URL's password (plain or URL-encoded) replaced by ``***``."""
        text = text.replace(self.url, str(self))
        secret = password_of(self.url)
        if secret:
            user = urlsplit(self.url).netloc.rpartition("@")[0]
            for form in {secret, user.partition(":")[2]} - {""}:
                text = text.replace(form, MASK)
        return text

    @classmethod
    def __get_pydantic_core_schema__(cls, source: Any, handler: Any) -> Any:
        from pydantic_core import core_schema

        return core_schema.no_info_plain_validator_function(
            cls,
            serialization=core_schema.plain_serializer_function_ser_schema(str),
        )


def engine(url: DatabaseUrl) -> sqlalchemy.Engine:
    """A SQLAlchemy engine on ``url`` through psycopg, without a connection pool."""
    import sqlalchemy
    from sqlalchemy.pool import NullPool

    try:
        parsed = sqlalchemy.make_url(url.url).set(drivername="postgresql+psycopg")
    except sqlalchemy.exc.ArgumentError:
        raise InputError(
            _("{url}: not a valid database URL; write postgresql://user@host:port/database").format(
                url=url
            )
        ) from None
    return sqlalchemy.create_engine(parsed, poolclass=NullPool)


def reason(exc: BaseException, url: DatabaseUrl) -> str:
    """The database's own words for an error, on one line, without the password."""
    inner = getattr(exc, "orig", None) or exc
    text = " ".join(str(inner).split("\n(Background")[0].split())
    return url.scrub(text) or type(inner).__name__


def connection_error(exc: BaseException, url: DatabaseUrl) -> InputError:
    """The message for a database that cannot be reached or refuses the login."""
    return InputError(
        _(
            "{url}: cannot connect to the database ({problem}); check the host, port, "
            "database name, user and password (in the URL, PGPASSWORD or ~/.pgpass)"
        ).format(url=url, problem=reason(exc, url))
    )


def quote_identifier(name: str) -> str:
    """A name quoted for SQL (``"name"``)."""
    return '"' + name.replace('"', '""') + '"'


def qualified(layer: str) -> str:
    """``schema.table`` (or ``table``) as a quoted SQL name."""
    return ".".join(quote_identifier(part) for part in layer.split(".", 1))


def sql_literal(value: object) -> str:
    """``value`` as an SQL literal: numbers as they are, anything else as quoted text."""
    if isinstance(value, int | float) and not isinstance(value, bool):
        return repr(value)
    return "'" + str(value).replace("'", "''") + "'"


def region_query(layer: str | None, sql: str | None, column: str, value: object) -> str:
    """A query of the rows of a table (``layer``) or of a query (``sql``) whose ``column``
    equals ``value``."""
    inner = sql.strip().rstrip(";") if sql is not None else f"SELECT * FROM {qualified(layer)}"
    return (
        f"SELECT * FROM ({inner}) AS region WHERE {quote_identifier(column)} = {sql_literal(value)}"
    )


@contextmanager
def connected(
    url: DatabaseUrl, layer: str | None, sql: str | None
) -> Iterator[tuple[sqlalchemy.Connection, str]]:
    """A connection to ``url`` and the query of a table (``layer``) or the ``sql`` given;
    the engine is disposed of afterwards.

    Raises:
        InputError: the database cannot be reached, or it has no such table.
    """
    import sqlalchemy

    db = engine(url)
    try:
        try:
            conn = db.connect()
        except sqlalchemy.exc.DBAPIError as exc:
            raise connection_error(exc, url) from None
        with conn:
            query = sql.strip().rstrip(";") if sql is not None else _table_query(conn, url, layer)
            yield conn, query
    finally:
        db.dispose()


def query_columns(url: DatabaseUrl | str, layer: str | None, sql: str | None) -> list[str]:
    """The column names of a table (``layer``) or of a query (``sql``).

    Raises:
        InputError: the database cannot be reached, no such table, or the query fails.
    """
    import psycopg

    url = DatabaseUrl(url)
    with connected(url, layer, sql) as (conn, query):
        try:
            with conn.connection.driver_connection.cursor() as cursor:
                cursor.execute(f"SELECT * FROM ({query}) AS q LIMIT 0")
                return [c.name for c in cursor.description or []]
        except psycopg.Error as exc:
            raise InputError(
                _("{url}: the query cannot be read ({problem})").format(
                    url=url, problem=reason(exc, url)
                )
            ) from None


def read_postgis(
    url: DatabaseUrl | str, layer: str | None = None, sql: str | None = None
) -> pd.DataFrame:
    """Read a table (``layer``, ``"schema.table"`` or ``"table"``) or the rows of a query
    (``sql``) from PostgreSQL: a GeoDataFrame when there is a geometry column (its SRID
    gives the CRS), else a DataFrame.

    Raises:
        InputError: neither or both of layer and sql, the database cannot be reached, no such
            table, or the query fails; naming the masked URL and the table or query.
    """
    import geopandas as gpd
    import pandas as pd
    import psycopg
    import sqlalchemy

    url = DatabaseUrl(url)
    if (layer is None) == (sql is None):
        raise InputError(
            _(
                "{url}: a database path needs layer = 'schema.table' or sql = 'SELECT ...' "
                "(one of them)"
            ).format(url=url)
        )
    with connected(url, layer, sql) as (conn, query):
        try:
            geometry = _geometry_columns(conn, query)
            if geometry:
                frame = gpd.read_postgis(query, conn, geom_col=geometry[0])
            else:
                frame = pd.read_sql(query, conn)
        except (sqlalchemy.exc.DBAPIError, psycopg.Error) as exc:
            if sql is None:
                message = _("{url}: the table '{layer}' (layer) cannot be read ({problem})")
            else:
                message = _("{url}: the query given as sql cannot be read ({problem})")
            raise InputError(
                message.format(url=url, layer=layer, problem=reason(exc, url))
            ) from None
    return frame.reset_index(drop=True)


def _table_query(conn: sqlalchemy.Connection, url: DatabaseUrl, layer: str | None) -> str:
    """``SELECT * FROM`` the layer's table, or an InputError listing the tables there are."""
    assert layer is not None
    name = qualified(layer)
    found = conn.exec_driver_sql("SELECT to_regclass(%(name)s)", {"name": name}).scalar()
    if found is None:
        tables = conn.exec_driver_sql(
            "SELECT table_schema || '.' || table_name FROM information_schema.tables "
            "WHERE table_schema NOT IN ('pg_catalog', 'information_schema', 'tiger', "
            "'topology') AND table_name NOT IN ('spatial_ref_sys', 'geometry_columns', "
            "'geography_columns', 'raster_columns', 'raster_overviews') ORDER BY 1"
        ).scalars()
        names = list(tables)
        shown = listing(names[:SHOWN_TABLES], quote=True) if names else _("none")
        raise InputError(
            _(
                "{url}: no table '{layer}' (layer); its tables are {tables}; give one as "
                "layer = 'schema.table', or a query as sql"
            ).format(url=url, layer=layer, tables=shown)
        )
    return f"SELECT * FROM {name}"


def _geometry_columns(conn: sqlalchemy.Connection, query: str) -> list[str]:
    """The names of the query's geometry and geography columns, in order."""
    raw = conn.connection.driver_connection
    with raw.cursor() as cursor:
        cursor.execute(f"SELECT * FROM ({query}) AS q LIMIT 0")
        columns = [(c.name, c.type_code) for c in cursor.description or []]
        cursor.execute("SELECT oid FROM pg_type WHERE typname IN ('geometry', 'geography')")
        spatial = {row[0] for row in cursor.fetchall()}
    return [name for name, oid in columns if oid in spatial]
