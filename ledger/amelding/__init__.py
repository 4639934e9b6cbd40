"""The a-melding: the monthly employer report every Norwegian employer already files.

Pure functions only (no ledger, no storage): parse a message
(`message`), read a municipality's mapping (`mapping`), and derive the
ledger's events from a history of monthly states (`derive`). The import
service (`ledger.services.amelding`) records what they derive; the synthetic
generator writes its municipality in the same format (`ledger.synthetic.amelding`).
"""
