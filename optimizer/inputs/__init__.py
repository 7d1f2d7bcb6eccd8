"""Config -> inputs: every file a config names read once (``read``), names in the config
resolved to ids by one rule (``names``), and a county config with its data as the spec the
planner solves (``spec``)."""

from optimizer.inputs.read import Inputs, read_county_inputs, read_site_inputs

__all__ = ["Inputs", "read_county_inputs", "read_site_inputs"]
