"""Offline evaluation above the domains: the model card, the experiment behind it, and inputs built straight from
a generated city for the benchmark and for measuring scorers against the city's hidden truth.

Nothing in the application imports this package (import-linter holds it: `[tool.importlinter]` in
pyproject.toml). It may import every domain and `synth`; it registers its own command, `dolbom model-card`.
"""
