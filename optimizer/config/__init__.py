"""TOML configs to typed settings, every check run once and every message naming the file and
the key: ``site`` (a site-location plan, and what all configs share: reading the TOML,
sections, error messages), ``county`` (a county plan: hubs, clinics, districts, staffing,
roaming, comparison) and ``batch`` (scenario sweeps and many regions). Importing them loads
no solver or plotting library."""
