"""Operating an installation: backup and restore, retention. Commands of the shell, run on the server."""
