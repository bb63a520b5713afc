#!/usr/bin/env python3
"""drift_client in a few lines: a collection, a bulk load, searches and a get.

    drift_server --db=/tmp/drift-db &        # prints its address
    PYTHONPATH=build/python python3 examples/python_client.py --server 127.0.0.1:50051
"""
import argparse

import numpy as np

import drift_client

parser = argparse.ArgumentParser()
parser.add_argument("--server", default="127.0.0.1:50051")
parser.add_argument("--token", default=None)
args = parser.parse_args()

rng = np.random.default_rng(0)
vectors = rng.standard_normal((1000, 32)).astype(np.float32)
keys = [f"doc-{i}" for i in range(len(vectors))]
vectors[42] = vectors[0] + 0.01  # a near-duplicate of doc-0

with drift_client.Client(args.server, token=args.token) as client:
    docs = client.create_collection("example", dimension=32, if_not_exists=True)
    docs.load(keys, vectors, batch_size=256)      # streaming bulk load
    docs.upsert(["doc-0"], vectors[:1], payloads=["the first document"])

    found, distances = docs.search(vectors[0], k=3)
    print("nearest two:", found[:2], f"(distance to doc-42: {distances[1]:.4f})")
    batch_keys, batch_distances = docs.search_batch(vectors[:3], k=2, exhaustive=True)
    print("batch:", batch_keys)
    print("payload of doc-0:", docs.get(["doc-0"]).payloads[0])
    with client.snapshot() as snap:   # a consistent view, released at the end
        docs.delete(["doc-42"])
        then = docs.search(vectors[0], k=2, exhaustive=True, snapshot_token=snap.token)
        now = docs.search(vectors[0], k=2, exhaustive=True)
    print("at the snapshot:", then[0], "now:", now[0])
    client.drop_collection("example")
