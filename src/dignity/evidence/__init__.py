"""Evidence: write-once originals, streaming encryption, chain of custody, fixity."""
