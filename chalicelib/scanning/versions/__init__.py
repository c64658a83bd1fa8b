"""Version ordering per package ecosystem: each module turns a version string into a sort key
(raising ScanInputError for a string its ecosystem cannot order), so matching compares keys."""
