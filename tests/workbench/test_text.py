"""Numbers with their nouns in the right form."""

from workbench.text import count


def test_one_is_singular_and_thousands_are_separated() -> None:
    assert count(1, "column") == "1 column" and count(0, "node") == "0 nodes"
    assert count(1200, "row") == "1,200 rows"
