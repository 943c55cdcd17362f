"""The business profile's parts."""
