"""From a plan to files: GIS layers and tables written atomically into an output folder
(``export``, ``swap``), static maps (``maps``, ``county_map``), the interactive map
(``web_map``), the report (``blocks``, ``report``, ``report_roaming``), the comparison with
the plan (``compare``) and a county plan's whole folder
(``county_export``)."""
