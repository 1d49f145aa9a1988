"""The GAN engine: a tabular GAN for mixed-type tables and a DCGAN for small images.

``spec`` reads the generator node, ``encoding`` turns columns into network space
and back, ``networks`` and ``training`` fit the generator, ``quality`` measures
how far generated rows are from held-out real ones, ``result`` and ``images`` own
the fitted weights as plain arrays, and ``engine`` is the run protocol's face.
"""
