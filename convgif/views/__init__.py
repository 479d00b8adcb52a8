"""Views: scenes (plain display lists), layout, chrome and one module per view."""
