"""Survivor protection: the identity vault (who a person is, encrypted per project); consent
records, withdrawal and compartments follow (issue #9)."""
