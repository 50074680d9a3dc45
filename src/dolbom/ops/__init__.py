"""Running Dolbom in production: the install command, the production server, health and access logs."""
