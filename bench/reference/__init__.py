"""The issue's reference endpoint (bench/reference/app.py): a bare Django + DRF signing view,
measured on the same machine as the product so that a reader can tell a fast machine from a
fast product."""
