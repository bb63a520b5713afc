"""Client and Collection: drift_server's RPCs with numpy arrays in and out.

Keys are bytes on the wire; the client takes str (encoded as UTF-8) or bytes,
and returns str (key_encoding="utf-8", the default) or bytes (key_encoding=None).
Vectors are float32: a 2-d array (rows, dimension) for many, 1-d for one.
Every RPC error raises DriftError with the gRPC status code; a malformed
argument caught before any call raises ValueError.
"""
import contextlib
from collections import namedtuple

import grpc
import numpy as np

from drift_client import drift_pb2 as pb
from drift_client import drift_pb2_grpc as pb_grpc

_METRICS = {
    "l2": pb.METRIC_L2,
    "ip": pb.METRIC_INNER_PRODUCT,
    "cosine": pb.METRIC_COSINE,
}

# Get's answer: found[i] says whether keys[i] exists; vectors[i] is its vector
# (zeros when not found or omitted); payloads[i] its payload or None.
GetResult = namedtuple("GetResult", ["found", "vectors", "payloads"])


# A snapshot token (create_snapshot): reads with snapshot_token=token see the
# database as it was when it was created, until release_snapshot or the end
# of its lease, ttl seconds from its creation.
Snapshot = namedtuple("Snapshot", ["token", "ttl"])


class SearchResult(tuple):
    """What search and search_batch return: a tuple (keys, distances) or, with
    with_payloads, (keys, distances, payloads), unpacked as before, plus
    `missing_shards`: the shards (host:port) whose hits are missing from an
    allow_partial search through a router ([] when every shard answered)."""

    def __new__(cls, items, missing_shards=()):
        result = super().__new__(cls, items)
        result.missing_shards = list(missing_shards)
        return result


class DriftError(Exception):
    """An RPC failed: `code` is the grpc.StatusCode, `code_name` its name
    ("NOT_FOUND", ...), `details` the server's message."""

    def __init__(self, code, details):
        super().__init__(f"{code.name}: {details}")
        self.code = code
        self.code_name = code.name
        self.details = details


def _rows(vectors, dimension=None):
    """vectors as a C-ordered float32 2-d array (a 1-d array is one row)."""
    a = np.ascontiguousarray(vectors, dtype=np.float32)
    if a.ndim == 1:
        a = a.reshape(1, -1)
    if a.ndim != 2:
        raise ValueError(f"vectors must be 1-d or 2-d, not {a.ndim}-d")
    if dimension is not None and a.shape[1] != dimension:
        raise ValueError(f"vectors have dimension {a.shape[1]}, expected {dimension}")
    return a


def _to_bytes(key):
    if isinstance(key, bytes):
        return key
    if isinstance(key, str):
        return key.encode("utf-8")
    raise ValueError(f"a key or payload is str or bytes, not {type(key).__name__}")


def _token(token):
    """A snapshot token given as an int or a Snapshot."""
    return token.token if isinstance(token, Snapshot) else token


class Client:
    """A connection to one drift_server.

    address: "host:port". token: bearer token (read-only or read-write).
    root_certificates: PEM bytes of the CA for TLS (None: plain text, unless
    tls=True, which uses the system's roots); private_key/certificate_chain:
    PEM bytes of a client certificate (mutual TLS). timeout: seconds per call
    (None: no deadline).
    """

    def __init__(self, address="127.0.0.1:50051", token=None, *, tls=False,
                 root_certificates=None, private_key=None,
                 certificate_chain=None, timeout=60.0, key_encoding="utf-8"):
        options = [("grpc.max_receive_message_length", -1)]
        if tls or root_certificates or private_key or certificate_chain:
            creds = grpc.ssl_channel_credentials(
                root_certificates=root_certificates, private_key=private_key,
                certificate_chain=certificate_chain)
            self._channel = grpc.secure_channel(address, creds, options=options)
        else:
            self._channel = grpc.insecure_channel(address, options=options)
        self._stub = pb_grpc.DriftStub(self._channel)
        self._metadata = (("authorization", f"Bearer {token}"),) if token else ()
        self.timeout = timeout
        self.key_encoding = key_encoding

    def close(self):
        self._channel.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def call(self, rpc, request, timeout=-1):
        """Runs stub method `rpc` ("Search", ...) with the token and deadline;
        the raw response message. DriftError on failure."""
        try:
            return getattr(self._stub, rpc)(
                request, metadata=self._metadata,
                timeout=self.timeout if timeout == -1 else timeout)
        except grpc.RpcError as e:
            raise DriftError(e.code(), e.details()) from None

    def key(self, raw):
        return raw.decode(self.key_encoding) if self.key_encoding else raw

    # Collections.
    def create_collection(self, name, dimension, metric="l2", *,
                          if_not_exists=False, min_train_vectors=0,
                          target_bucket_size=0, disable_auto_train=False,
                          column_family_options=""):
        """Creates a collection; its Collection handle."""
        if metric not in _METRICS:
            raise ValueError(f"metric is one of {sorted(_METRICS)}, not {metric!r}")
        self.call("CreateCollection", pb.CreateCollectionRequest(
            name=name, dimension=dimension, metric=_METRICS[metric],
            if_not_exists=if_not_exists, min_train_vectors=min_train_vectors,
            target_bucket_size=target_bucket_size,
            disable_auto_train=disable_auto_train,
            column_family_options=column_family_options))
        return Collection(self, name, dimension)

    def list_collections(self):
        """The collections' CollectionInfo messages, sorted by name."""
        return list(self.call("ListCollections",
                              pb.ListCollectionsRequest()).collections)

    def collection(self, name):
        """The handle of an existing collection (NOT_FOUND if none)."""
        for info in self.list_collections():
            if info.name == name:
                return Collection(self, name, info.dimension)
        raise DriftError(grpc.StatusCode.NOT_FOUND, f"no collection '{name}'")

    def drop_collection(self, name, if_exists=False):
        self.call("DropCollection",
                  pb.DropCollectionRequest(name=name, if_exists=if_exists))

    def health(self):
        """HealthResponse (status, role, version); needs no token."""
        return self.call("Health", pb.HealthRequest())

    # Snapshots: consistent reads across calls.
    def create_snapshot(self, ttl=0):
        """A Snapshot(token, ttl): pass token as snapshot_token to search,
        search_batch or get. ttl: lease in seconds (0: the server's
        --snapshot_ttl_seconds, which also caps it); the returned ttl is the
        lease granted. Through a router the token names a snapshot of every
        shard: consistent per shard, not a global cut."""
        resp = self.call("CreateSnapshot",
                         pb.CreateSnapshotRequest(ttl_seconds=ttl))
        return Snapshot(resp.snapshot_token, resp.ttl_seconds)

    def release_snapshot(self, token):
        """Releases a token (or a Snapshot) before its lease ends; NOT_FOUND
        if it is unknown, already released or expired."""
        self.call("ReleaseSnapshot",
                  pb.ReleaseSnapshotRequest(snapshot_token=_token(token)))

    @contextlib.contextmanager
    def snapshot(self, ttl=0):
        """`with client.snapshot() as snap:` a Snapshot released when the
        block ends, also by an exception. A token that is gone by then
        (released in the block, or its lease ended) is not an error; when
        the block raised, a failed release does not replace its exception."""
        snap = self.create_snapshot(ttl)
        try:
            yield snap
        except BaseException:
            with contextlib.suppress(DriftError):
                self.release_snapshot(snap.token)
            raise
        try:
            self.release_snapshot(snap.token)
        except DriftError as e:
            if e.code != grpc.StatusCode.NOT_FOUND:
                raise


class Collection:
    """One collection's data operations (from Client.create_collection or
    Client.collection)."""

    def __init__(self, client, name, dimension):
        self.client = client
        self.name = name
        self.dimension = dimension

    def _records(self, keys, vectors, payloads):
        rows = _rows(vectors, self.dimension)
        keys = list(keys)
        if len(keys) != rows.shape[0]:
            raise ValueError(f"{len(keys)} keys for {rows.shape[0]} vectors")
        if payloads is not None and len(payloads) != len(keys):
            raise ValueError(f"{len(payloads)} payloads for {len(keys)} keys")
        records = []
        for i, key in enumerate(keys):
            r = pb.Record(key=_to_bytes(key),
                          vector=pb.Vector(values=rows[i].tolist()))
            if payloads is not None and payloads[i] is not None:
                r.payload = _to_bytes(payloads[i])
            records.append(r)
        return records

    def upsert(self, keys, vectors, payloads=None, sync=False):
        """Writes the records in one atomic WriteBatch; the count written.
        payloads: None, or one str/bytes/None per key (None: no payload)."""
        request = pb.UpsertRequest(
            collection=self.name, records=self._records(keys, vectors, payloads),
            write_options=pb.WriteOptions(sync=sync))
        return self.client.call("Upsert", request).upserted

    def load(self, keys, vectors, payloads=None, batch_size=1000):
        """Bulk load through the streaming upsert: each batch of batch_size
        records commits on its own (not atomic as a whole). The count
        committed; on failure DriftError, whose message says how many were."""
        rows = _rows(vectors, self.dimension)
        keys = list(keys)

        def requests():
            for s in range(0, len(keys), batch_size):
                e = s + batch_size
                yield pb.UpsertRequest(
                    collection=self.name,
                    records=self._records(
                        keys[s:e], rows[s:e],
                        None if payloads is None else payloads[s:e]))

        if len(keys) != rows.shape[0]:
            raise ValueError(f"{len(keys)} keys for {rows.shape[0]} vectors")
        return self.client.call("UpsertStream", requests(), timeout=None).upserted

    def delete(self, keys):
        self.client.call("Delete", pb.DeleteRequest(
            collection=self.name, keys=[_to_bytes(k) for k in keys]))

    def delete_range(self, start, limit):
        """Deletes every key in [start, limit)."""
        self.client.call("DeleteRange", pb.DeleteRangeRequest(
            collection=self.name, start=_to_bytes(start), limit=_to_bytes(limit)))

    def get(self, keys, with_vectors=True, snapshot_token=0):
        """GetResult(found bool array, vectors (n, dimension), payloads);
        snapshot_token: read at a Client.create_snapshot token (0: latest)."""
        resp = self.client.call("Get", pb.GetRequest(
            collection=self.name, keys=[_to_bytes(k) for k in keys],
            omit_vectors=not with_vectors,
            snapshot_token=_token(snapshot_token)))
        n = len(resp.results)
        found = np.zeros(n, dtype=bool)
        vectors = np.zeros((n, self.dimension), dtype=np.float32)
        payloads = [None] * n
        for i, r in enumerate(resp.results):
            found[i] = r.found
            if r.found and with_vectors:
                vectors[i] = r.vector.values
            if r.HasField("payload"):
                payloads[i] = r.payload
        return GetResult(found, vectors, payloads)

    @staticmethod
    def _params(k, recall_target, nprobe, exhaustive, key_prefix, key_start,
                key_limit, snapshot_token, with_payloads, allow_partial):
        f = pb.KeyFilter(key_prefix=_to_bytes(key_prefix or b""))
        if key_start is not None:
            f.key_start = _to_bytes(key_start)
        if key_limit is not None:
            f.key_limit = _to_bytes(key_limit)
        return pb.SearchParams(
            k=k, recall_target=recall_target or 0.0, nprobe=nprobe or 0,
            exhaustive=exhaustive, filter=f,
            snapshot_token=_token(snapshot_token),
            include_payloads=with_payloads, allow_partial=allow_partial)

    def search(self, query, k=10, *, recall_target=None, nprobe=None,
               exhaustive=False, key_prefix=None, key_start=None,
               key_limit=None, snapshot_token=0, with_payloads=False,
               allow_partial=False):
        """The k nearest keys of a 1-d query: a SearchResult (keys, distances
        float32 array), nearest first; with_payloads adds a third list (bytes
        or None). allow_partial (through a router): when shards are down,
        the hits of the shards that answered, the others in
        result.missing_shards, instead of an error."""
        q = _rows(query, self.dimension)
        if q.shape[0] != 1:
            raise ValueError("search takes one query; use search_batch")
        resp = self.client.call("Search", pb.SearchRequest(
            collection=self.name, query=q[0].tolist(),
            params=self._params(k, recall_target, nprobe, exhaustive,
                                key_prefix, key_start, key_limit,
                                snapshot_token, with_payloads, allow_partial)))
        return SearchResult(self._hits(resp, with_payloads),
                            resp.missing_shards)

    def search_batch(self, queries, k=10, *, recall_target=None, nprobe=None,
                     exhaustive=False, key_prefix=None, key_start=None,
                     key_limit=None, snapshot_token=0, allow_partial=False):
        """Many queries (a 2-d array) at one snapshot: a SearchResult (keys,
        distances) with keys a list of key lists and distances a (queries, k)
        float32 array, padded with +inf where a query found fewer than k;
        allow_partial as in search."""
        q = _rows(queries, self.dimension)
        resp = self.client.call("SearchBatch", pb.SearchBatchRequest(
            collection=self.name, queries=q.ravel().tolist(),
            params=self._params(k, recall_target, nprobe, exhaustive,
                                key_prefix, key_start, key_limit,
                                snapshot_token, False, allow_partial)))
        keys = []
        distances = np.full((q.shape[0], k), np.inf, dtype=np.float32)
        for i, r in enumerate(resp.results):
            ks, ds = self._hits(r, False)
            keys.append(ks)
            distances[i, :len(ds)] = ds
        return SearchResult((keys, distances), resp.missing_shards)

    def _hits(self, resp, with_payloads):
        keys = [self.client.key(h.key) for h in resp.hits]
        distances = np.array([h.distance for h in resp.hits], dtype=np.float32)
        if not with_payloads:
            return keys, distances
        payloads = [h.payload if h.HasField("payload") else None
                    for h in resp.hits]
        return keys, distances, payloads

    def train(self, num_buckets=0, skip_rebucket=False):
        """Trains the codebook now; its epoch."""
        return self.client.call("Train", pb.TrainRequest(
            collection=self.name, num_buckets=num_buckets,
            skip_rebucket=skip_rebucket), timeout=None).codebook_epoch

    def flush(self):
        self.client.call("Flush", pb.FlushRequest(collection=self.name))

    def compact(self):
        self.client.call("Compact", pb.CompactRequest(collection=self.name),
                         timeout=None)

    def stats(self):
        """This collection's CollectionStats message."""
        resp = self.client.call("Stats", pb.StatsRequest(collection=self.name))
        return resp.collections[0]
