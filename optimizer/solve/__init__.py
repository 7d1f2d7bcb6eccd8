"""Arrays in, solutions out: the HiGHS hand-over of matrix models (``highs``, one guarded
mixed-integer run in ``highs_run``) and of Pyomo models (``pyomo_highs``), lexicographic
stages on one HiGHS instance (``staged``; the county stages in ``county``), the location
problems (``locate``; p-median by Benders decomposition in ``benders``) and the roaming route
pool by column generation (``roaming``). Nothing here reads files or builds GeoDataFrames of
a plan."""
