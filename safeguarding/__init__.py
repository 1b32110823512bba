"""The domain: partnerships, cases, the statutory clock and triage; plain Python, no botbuilder."""
