"""customer search index (FTS5 on SQLite, tsvector on PostgreSQL)

Revision ID: e1eb53954932
Revises: 42f3a1ea17da
Create Date: 2026-11-21 15:39:10.719483

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'e1eb53954932'
down_revision = '42f3a1ea17da'
branch_labels = None
depends_on = None


def upgrade():
    # The n-gram index of portal.customers.search: an FTS5 table on SQLite, a GIN-indexed
    # tsvector on PostgreSQL. Not part of the ORM metadata (see migrations/env.py).
    bind = op.get_bind()
    if bind.dialect.name == "postgresql":
        op.execute("CREATE TABLE customer_search (customer_id integer PRIMARY KEY "
                   "REFERENCES customer (id) ON DELETE CASCADE, tokens tsvector NOT NULL)")
        op.execute("CREATE INDEX ix_customer_search_tokens ON customer_search USING gin (tokens)")
    else:
        op.execute("CREATE VIRTUAL TABLE customer_fts USING fts5(tokens, tokenize = 'unicode61 remove_diacritics 0')")
    rows = bind.execute(sa.text("SELECT id, search_text FROM customer WHERE status = 'active'")).fetchall()
    if rows:
        from portal.customers import search
        if bind.dialect.name == "postgresql":
            bind.execute(sa.text("INSERT INTO customer_search (customer_id, tokens) VALUES (:id, CAST(:t AS tsvector))"),
                         [{"id": r[0], "t": search._tsvector(search.tokens_for(r[1]))} for r in rows])
        else:
            bind.execute(sa.text("INSERT INTO customer_fts (rowid, tokens) VALUES (:id, :t)"),
                         [{"id": r[0], "t": " ".join(search.tokens_for(r[1]))} for r in rows])


def downgrade():
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TABLE customer_search")
    else:
        op.execute("DROP TABLE customer_fts")
