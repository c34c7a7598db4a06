"""Media bytes in the JetStream object store, with a TTL."""

from lpgw.blobs.store import BlobError, BlobNotFound, BlobStore, StoredBlob

__all__ = ["BlobError", "BlobNotFound", "BlobStore", "StoredBlob"]
