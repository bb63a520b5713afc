"""Python client of drift_server (proto/drift.proto), numpy in and out.

    import numpy as np
    import drift_client

    with drift_client.Client("127.0.0.1:50051") as client:
        docs = client.create_collection("docs", dimension=4, if_not_exists=True)
        docs.upsert(["a", "b"], np.array([[0, 0, 0, 1], [1, 0, 0, 0]], np.float32))
        keys, distances = docs.search(np.array([0, 0, 0, 1], np.float32), k=1)

The gRPC stubs (drift_pb2, drift_pb2_grpc) are generated from proto/drift.proto
when Drift is built (build/python/drift_client/).
"""
from drift_client.client import (Client, Collection, DriftError, GetResult,
                                 SearchResult, Snapshot)

__all__ = ["Client", "Collection", "DriftError", "GetResult", "SearchResult",
           "Snapshot"]
