"""Storage: the pynamodb models of the metadata table and the S3 blob store."""
