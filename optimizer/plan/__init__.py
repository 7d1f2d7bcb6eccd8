"""The library API, frames in and plans out: ``sites`` (:func:`plan_sites`, one location
model), ``county`` (:func:`plan_county`: hubs, clinics, districts, staffing and roaming in
lexicographic stages), the plan layers built from a solved county model
(``county_layers``, ``roaming_layers``, ``districts``) and the comparison with a plan's
named sites (``compare``), and ``county_result``: a county run's plan with its config, spec
and comparison, as the outputs take it."""
