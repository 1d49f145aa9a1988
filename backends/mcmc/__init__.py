"""The MCMC engine (emcee) for models drawn in the graph language."""
