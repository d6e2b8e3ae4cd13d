"""Files in formats other tools read: CTRF test reports, Harbor-style job folders."""
