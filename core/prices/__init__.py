"""Prices: the model catalog, the price of one request under each provider rule, staleness, calibration."""
