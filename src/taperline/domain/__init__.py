"""Pure clinical logic: no database, web, files, network or clock in here."""
