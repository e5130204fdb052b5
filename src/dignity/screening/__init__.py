"""Screening: match people, companies, vessels and aircraft against the registry, explainably.

`text` and `records` turn names and entities into matchable forms, `index` finds candidates,
`score` scores them with every step explained, and `services` runs screenings and keeps their
audit records.
"""
