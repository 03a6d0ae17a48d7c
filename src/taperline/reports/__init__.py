"""Server-side plots (matplotlib, Agg) and printable reports (HTML, PDF via WeasyPrint)."""
