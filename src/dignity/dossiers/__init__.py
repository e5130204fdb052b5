"""Perpetrator dossiers: documented perpetrators meet the registry (the accountability gap)."""
