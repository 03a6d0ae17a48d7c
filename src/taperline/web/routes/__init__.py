"""Route modules: auth (login, invites, help), person pages, clinician pages, the JSON API."""
