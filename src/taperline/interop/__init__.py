"""Exchange with other software: standard file formats built from domain objects."""
