"""Running Dolbom in production: the install command, the production server, health and access logs, backup
and restore, retention. Commands of the shell, run on the server."""
