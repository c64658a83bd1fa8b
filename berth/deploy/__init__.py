"""Deploying Berth to AWS: `berth deploy` / `berth destroy`, the stack, the Chalice step, the
Function URL front door and the least-privilege policy the function runs with."""
