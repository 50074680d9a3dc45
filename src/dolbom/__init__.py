"""Dolbom: finding households in crisis and running integrated case management."""
