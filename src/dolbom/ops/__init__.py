"""Running Dolbom in production: the install command, the production server, health and access logs, backup
and restore, retention, key rotation. Commands of the shell, run on the server."""
