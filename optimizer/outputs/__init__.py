"""From a plan to files: GIS layers and tables written atomically into an output folder
(``export``, ``swap``), static maps (``maps``, ``county_map``), the interactive map
(``web_map``), the report (``report``, ``report_roaming``) and a county plan's whole folder
(``county_export``)."""
