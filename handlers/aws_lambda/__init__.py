"""Lambda entry points, one module per function in serverless.yml.

Each module imports only what its function needs (cold start matters) and gets its
services from `wiring`, the Lambda composition root.
"""
