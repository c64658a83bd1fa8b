"""The scan runtime: reads an image's manifests and layers from storage, takes its inventory and
matches it against the stored advisory index (chalicelib/scanning does the pure work). Imported
only by the scan routes and the scan consumer, never on the pull/push path."""
