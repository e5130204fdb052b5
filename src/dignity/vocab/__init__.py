"""Vocabularies as data: YAML files beside this module, validated when loaded.

A typo in a vocabulary fails at start-up (and in the tests), not in front of a user.
"""
