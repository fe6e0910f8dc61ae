"""Model training, kept apart from the analysis: it may use the generator and public data sets.

Analysis and resolution only load the trained model files this package writes.
"""
