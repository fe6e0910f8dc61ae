"""Model training: where netintel's packaged models are made (may use the generators and public sets).

Analysis and resolution only load the trained files; nothing outside this package trains.
"""
