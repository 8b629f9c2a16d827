"""Lambda entry points, one module per function in serverless.yml.

Each module imports only what its function needs (cold start matters) and gets its
services from `wiring`, once per cold start, as handlers/bootstrap.py builds them. A
scheduled function's module is its entry of the job table (handlers/jobs.py).
"""
