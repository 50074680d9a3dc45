"""The resources domain's writes and audited reads, one module per activity (directory, donations, food bank,
volunteers)."""
