"""INSERT … ON CONFLICT DO UPDATE for SQLite and PostgreSQL, in chunks."""
from __future__ import annotations

from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

CHUNK = 500


def upsert(session: Session, model, rows: list[dict]) -> None:
    """Insert rows, or update every non-key column of rows whose primary key exists."""
    if not rows:
        return
    table = model.__table__
    keys = [c.name for c in table.primary_key.columns]
    dialect = postgresql if session.get_bind().dialect.name == "postgresql" else sqlite
    for start in range(0, len(rows), CHUNK):
        stmt = dialect.insert(table).values(rows[start:start + CHUNK])
        updates = {c.name: stmt.excluded[c.name] for c in table.columns
                   if c.name not in keys and c.name in rows[0]}
        session.execute(stmt.on_conflict_do_update(index_elements=keys, set_=updates))
