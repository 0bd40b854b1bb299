"""Plugin ``faq``: Searchable FAQ with categories and helpful votes."""

name = "faq"
version = "0.1.0"
requires: tuple[str, ...] = ()
