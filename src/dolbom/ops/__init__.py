"""Operating an installation: commands for the people who run the server (key rotation, …)."""
