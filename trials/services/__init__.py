"""Every change to clinical data goes through a function in this package."""
