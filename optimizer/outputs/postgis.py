"""Write a plan's layers to PostGIS tables, all replaced in one transaction.

``[output] postgis = "postgresql://..."`` with ``schema`` (default ``public``) makes a run put
its layers (a site plan's sites, assignments and assignment lines; a county plan's sites,
assignments, districts and, with roaming vehicles, routes and stops) into tables of that
name. Every table is dropped and written again inside one transaction: a failed, interrupted
or killed run leaves the previous tables as they were. The password is never shown.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from contextlib import contextmanager

import geopandas as gpd

from geodata.errors import InputError
from geodata.i18n import gettext as _
from geodata.postgis import DatabaseUrl, connection_error, engine, quote_identifier, reason
from optimizer.county_spec import CountyPlan
from optimizer.outputs import county_export, export
from optimizer.results import SitePlan


def plan_layers(plan: SitePlan | CountyPlan, crs: str) -> dict[str, gpd.GeoDataFrame]:
    """The plan's layers by table name, in ``crs``: those the plan's GeoPackage holds."""
    if isinstance(plan, SitePlan):
        names = list(export.LAYERS)
    else:
        names = list(county_export.LAYERS)
        if plan.routes is not None and len(plan.routes):
            names += ["routes", "stops"]
    return {
        name: export.to_crs(county_export.as_layer(getattr(plan, name)), name, crs)
        for name in names
    }


def write_postgis(
    layers: Mapping[str, gpd.GeoDataFrame], url: DatabaseUrl, schema: str = "public"
) -> list[str]:
    """Replace the tables ``schema.<name>`` with ``layers`` in one transaction (the schema is
    created when missing); return the tables written as ``schema.name``.

    Raises:
        InputError: the database cannot be reached, or a table cannot be written (then no
            table has changed); naming the masked URL, the schema and the table.
    """
    with postgis_transaction(layers, url, schema) as tables:
        return tables


@contextmanager
def postgis_transaction(
    layers: Mapping[str, gpd.GeoDataFrame], url: DatabaseUrl, schema: str = "public"
) -> Iterator[list[str]]:
    """Write ``layers`` as in :func:`write_postgis` on entering, yield the tables written, and
    commit on leaving; an exception inside the ``with`` block rolls every table back.

    Raises:
        InputError: as :func:`write_postgis`, on entering or when the commit fails.
    """
    import psycopg
    import sqlalchemy

    db = engine(url)
    name = None
    inside = False  # an exception of the caller's block passes through unchanged
    try:
        try:
            conn = db.connect()
        except sqlalchemy.exc.DBAPIError as exc:
            raise connection_error(exc, url) from None
        with conn, conn.begin():
            conn.exec_driver_sql(f"CREATE SCHEMA IF NOT EXISTS {quote_identifier(schema)}")
            for name, layer in layers.items():
                layer.to_postgis(name, conn, schema=schema, if_exists="replace", index=False)
            name = None
            inside = True
            yield [f"{schema}.{table}" for table in layers]
            inside = False
    except (sqlalchemy.exc.SQLAlchemyError, psycopg.Error, ValueError, TypeError) as exc:
        if inside:
            raise
        where = (
            _("table '{schema}.{table}'").format(schema=schema, table=name)
            if name is not None
            else _("schema '{schema}'").format(schema=schema)
        )
        raise InputError(
            _(
                "{url}: cannot write {where} ({reason}); no table of the plan was changed "
                "(output.postgis, output.schema)"
            ).format(url=url, where=where, reason=reason(exc, url))
        ) from None
    finally:
        db.dispose()
