"""`berth cost`: the monthly AWS bill of a reference workload, from measured call counts."""
