"""The Gaussian-process engine (gpytorch): exact, sparse (SVGP) and deep GPs.

Entry points: ``engine`` (SETTINGS, run, load_result), ``spec`` (reading the
GP node from the graph), ``templates``. See docs/gp.md.
"""
