"""Survivor protection (issue #9): the identity vault (who a person is, encrypted per project),
consent per person and per testimony with withdrawal, the sharing log, and promises."""
