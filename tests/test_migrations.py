from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from portal.customers.search import is_index_table
from portal.extensions import db


def include_object(obj, name, type_, reflected, compare_to):
    return not (type_ == "table" and reflected and compare_to is None and is_index_table(name))


def test_models_and_migrations_agree(app):
    """A model change without a migration fails here (run `flask db migrate`)."""
    with app.app_context(), db.engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True, "include_object": include_object})
        diff = compare_metadata(context, db.metadata)
    assert diff == []
