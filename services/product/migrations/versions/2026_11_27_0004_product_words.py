"""product_words: the distinct words of product names, the dictionary that corrects a search's typos

pg_trgm's "text search integration": instead of checking trigram similarity against 100,000 names
(~6,800 index candidates and ~25-30 ms for a typo), a search corrects each unknown word of its text to
the most similar words of this (small) table and runs the ordinary word search (services/product/search.py).

Triggers keep it current: new words are inserted ON CONFLICT DO NOTHING, in order (two transactions
adding the same new words may wait for each other, never deadlock), and never deleted (a stale word corrects
to something that matches nothing). PostgreSQL has no transition tables for "INSERT OR UPDATE":
  * INSERT: per statement, from its transition table, so that a bulk INSERT (the bench's 100,000-row
    seed) splits the names and inserts the words in one pass;
  * UPDATE: per row, only when the name changed (`WHEN`, checked without calling the function), so that
    bulk updates of other columns (category_ids, in_stock) cost nothing; a per-statement trigger would
    have to capture every updated row in transition tables to find the renamed ones.
A word is what search.WORD takes from a text (letters and digits), lower-cased.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-27
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _add_words(names: str) -> str:
    """INSERT of the words of `names` (a FROM item with a `name` column)."""
    return f"""
        INSERT INTO product_words (word)
        SELECT DISTINCT word FROM {names}, regexp_split_to_table(lower(name), '[^[:alnum:]]+') AS word
        WHERE word <> '' ORDER BY word
        ON CONFLICT DO NOTHING"""


def upgrade() -> None:
    op.create_table(
        "product_words",
        sa.Column("word", sa.Text, nullable=False),
        sa.PrimaryKeyConstraint("word", name="pk_product_words"),
    )
    # GIN for `word % :typo`, the few similar words then sorted by distance: on dictionaries of 20,000 and
    # 80,000 English words, 0.2 and 0.7 ms a typo, where GiST's index-ordered `<->` took 3.5 and 12 ms.
    op.create_index("ix_product_words_word_trgm", "product_words", ["word"], postgresql_using="gin",
                    postgresql_ops={"word": "gin_trgm_ops"}, postgresql_with={"fastupdate": "off"})
    op.execute(f"""
        CREATE FUNCTION product_words_of_inserted() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            {_add_words("inserted")};
            RETURN NULL;
        END $$""")
    op.execute(f"""
        CREATE FUNCTION product_words_of_renamed() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            {_add_words("(SELECT NEW.name) AS renamed(name)")};
            RETURN NULL;
        END $$""")
    op.execute("""
        CREATE TRIGGER products_words_inserted AFTER INSERT ON products
        REFERENCING NEW TABLE AS inserted FOR EACH STATEMENT EXECUTE FUNCTION product_words_of_inserted()""")
    op.execute("""
        CREATE TRIGGER products_words_renamed AFTER UPDATE OF name ON products
        FOR EACH ROW WHEN (OLD.name IS DISTINCT FROM NEW.name) EXECUTE FUNCTION product_words_of_renamed()""")
    op.execute(_add_words("products"))
    op.execute("ANALYZE product_words")


def downgrade() -> None:
    op.execute("DROP TRIGGER products_words_renamed ON products")
    op.execute("DROP TRIGGER products_words_inserted ON products")
    op.execute("DROP FUNCTION product_words_of_renamed()")
    op.execute("DROP FUNCTION product_words_of_inserted()")
    op.drop_table("product_words")
