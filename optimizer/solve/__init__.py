"""Arrays in, solutions out: the HiGHS hand-over of matrix models (``highs``) and of Pyomo
models (``pyomo_highs``), the location problems (``locate``; p-median by Benders
decomposition in ``benders``) and the roaming route pool by column generation
(``roaming``). Nothing here reads files or builds GeoDataFrames of a plan."""
