"""Use cases: each authorises, calls the domain, persists and audits in one transaction."""
