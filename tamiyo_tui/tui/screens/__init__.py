"""Modal screens: override, compare, help and the full decision record."""
