"""drift_client against a drift_server process: exhaustive searches equal a
numpy brute force, batch search, get, delete, streaming load, payloads, and
errors carry the server's gRPC code."""
import os
import subprocess
import sys

import grpc
import numpy as np
import pytest

import drift_client

DIM = 8


def random_rows(rng, n):
    # Integer components: distances are exact, ties broken by key (as Search).
    return rng.integers(0, 16, size=(n, DIM)).astype(np.float32)


def brute_force(model, query, k):
    keys = sorted(model)
    rows = np.stack([model[key] for key in keys])
    d = ((rows - query) ** 2).sum(axis=1)
    order = sorted(range(len(keys)), key=lambda i: (d[i], keys[i].encode()))[:k]
    return [keys[i] for i in order], d[order].astype(np.float32)


def expect_exact(coll, model, queries, k=10, snapshot_token=0):
    for q in queries:
        keys, dist = coll.search(q, k=k, exhaustive=True,
                                 snapshot_token=snapshot_token)
        want_keys, want_dist = brute_force(model, q, k)
        assert keys == want_keys
        np.testing.assert_array_equal(dist, want_dist)
    got_keys, got_dist = coll.search_batch(np.stack(queries), k=k, exhaustive=True,
                                           snapshot_token=snapshot_token)
    for i, q in enumerate(queries):
        want_keys, want_dist = brute_force(model, q, k)
        assert got_keys[i] == want_keys
        np.testing.assert_array_equal(got_dist[i, :len(want_dist)], want_dist)


def test_upsert_load_search_get_delete(client):
    rng = np.random.default_rng(3)
    coll = client.create_collection("vecs", dimension=DIM)
    assert [c.name for c in client.list_collections()] == ["vecs"]
    model = {}
    a = random_rows(rng, 300)
    keys_a = [f"a{i}" for i in range(300)]
    payloads = [f"p{i}" if i % 2 else None for i in range(300)]
    assert coll.upsert(keys_a, a, payloads=payloads) == 300
    model.update(zip(keys_a, a))
    b = random_rows(rng, 700)
    keys_b = [f"b{i}" for i in range(700)]
    assert coll.load(keys_b, b, batch_size=128) == 700
    model.update(zip(keys_b, b))
    queries = list(random_rows(rng, 5))
    expect_exact(coll, model, queries)

    got = coll.get(["a1", "a2", "b5", "missing"])
    assert got.found.tolist() == [True, True, True, False]
    np.testing.assert_array_equal(got.vectors[:3], np.stack([a[1], a[2], b[5]]))
    assert got.payloads == [b"p1", None, None, None]
    keys, dist, pays = coll.search(a[1], k=1, exhaustive=True, with_payloads=True)
    assert dist[0] == 0 and pays[0] == model_payload(keys[0], payloads)

    # Deleted keys disappear, also for queries at their own vectors.
    deleted = ["a1", "b7"]
    coll.delete(deleted)
    coll.delete_range("b1", "b2")  # b1, b10..b19, b100..b199
    gone = deleted + [k for k in model if "b1" <= k < "b2"]
    queries += [model[k] for k in deleted]
    for k in gone:
        del model[k]
    assert not coll.get(gone).found.any()
    expect_exact(coll, model, queries)

    coll.flush()
    assert coll.train(num_buckets=8) > 0
    expect_exact(coll, model, queries)
    stats = coll.stats()
    assert stats.info.dimension == DIM


def model_payload(key, payloads):
    i = int(key[1:])
    return None if payloads[i] is None else payloads[i].encode()


def test_errors_carry_the_grpc_code(client):
    coll = client.create_collection("errs", dimension=4)
    with pytest.raises(drift_client.DriftError) as e:
        client.create_collection("errs", dimension=4)
    assert e.value.code == grpc.StatusCode.ALREADY_EXISTS
    with pytest.raises(drift_client.DriftError) as e:
        client.collection("nosuch")
    assert e.value.code_name == "NOT_FOUND"
    # The server rejects what the client cannot check (a NaN component).
    with pytest.raises(drift_client.DriftError) as e:
        coll.upsert(["k"], np.array([[1, np.nan, 0, 0]], np.float32))
    assert e.value.code == grpc.StatusCode.INVALID_ARGUMENT
    bad = drift_client.Collection(client, "errs", 3)  # wrong dimension
    with pytest.raises(drift_client.DriftError) as e:
        bad.search(np.zeros(3, np.float32), k=1)
    assert e.value.code == grpc.StatusCode.INVALID_ARGUMENT
    # Malformed arguments are ValueError before any call.
    with pytest.raises(ValueError):
        coll.upsert(["a", "b"], np.zeros((3, 4), np.float32))
    with pytest.raises(ValueError):
        coll.upsert(["a"], np.zeros((1, 5), np.float32))
    with pytest.raises(ValueError):
        coll.search(np.zeros((2, 4), np.float32))
    # Nothing listens on port 1.
    with drift_client.Client("127.0.0.1:1", timeout=10) as down:
        with pytest.raises(drift_client.DriftError) as e:
            down.list_collections()
        assert e.value.code == grpc.StatusCode.UNAVAILABLE


def test_example_script_runs(server):
    script = os.path.join(os.environ["DRIFT_SOURCE_DIR"], "examples",
                          "python_client.py")
    r = subprocess.run([sys.executable, script, "--server", server.address],
                       capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stderr
    assert "nearest two: ['doc-0', 'doc-42']" in r.stdout, r.stdout


def test_tokens():
    from conftest import ServerProcess
    import tempfile
    with tempfile.TemporaryDirectory() as d:
        tokens = os.path.join(d, "tokens")
        with open(tokens, "w") as f:
            f.write("rw writer-token-0123456789\nro reader-token-0123456789\n")
        server = ServerProcess([f"--tokens_file={tokens}"])
        try:
            with drift_client.Client(server.address) as anonymous:
                with pytest.raises(drift_client.DriftError) as e:
                    anonymous.list_collections()
                assert e.value.code == grpc.StatusCode.UNAUTHENTICATED
                assert anonymous.health().role == "primary"  # no token needed
            with drift_client.Client(server.address,
                                     token="writer-token-0123456789") as writer:
                coll = writer.create_collection("t", dimension=2)
                assert coll.upsert(["k"], np.ones((1, 2), np.float32)) == 1
            with drift_client.Client(server.address,
                                     token="reader-token-0123456789") as reader:
                coll = reader.collection("t")
                assert coll.search(np.ones(2, np.float32), k=1)[0] == ["k"]
                with pytest.raises(drift_client.DriftError) as e:
                    coll.upsert(["j"], np.ones((1, 2), np.float32))
                assert e.value.code == grpc.StatusCode.PERMISSION_DENIED
        finally:
            server.stop()


def test_allow_partial_through_a_router_with_a_shard_down():
    """A router over two shards: exhaustive searches see both; with one shard
    stopped a search fails UNAVAILABLE, and with allow_partial returns exactly
    the live shard's nearest keys and names the stopped shard."""
    from conftest import ServerProcess
    shards = [ServerProcess(), ServerProcess()]
    router = ServerProcess(
        ["--role=router", f"--shards={shards[0].address},{shards[1].address}"],
        db=False)
    try:
        rng = np.random.default_rng(5)
        rows = random_rows(rng, 200)
        keys = [f"r{i}" for i in range(200)]
        model = dict(zip(keys, rows))
        queries = list(random_rows(rng, 4))
        with drift_client.Client(router.address) as c:
            coll = c.create_collection("parts", dimension=DIM)
            assert coll.upsert(keys, rows) == 200
            result = coll.search(queries[0], k=10, exhaustive=True,
                                 allow_partial=True)
            assert list(result[0]) == brute_force(model, queries[0], 10)[0]
            assert result.missing_shards == []
            # Which keys the first shard holds: asked of the shard itself.
            with drift_client.Client(shards[0].address) as s0:
                found = s0.collection("parts").get(keys,
                                                   with_vectors=False).found
            live = {k: model[k] for k, f in zip(keys, found) if f}
            assert 0 < len(live) < len(model)

            dead = shards[1].address
            shards[1].stop()
            with pytest.raises(drift_client.DriftError) as e:
                coll.search(queries[0], k=10, exhaustive=True)
            assert e.value.code == grpc.StatusCode.UNAVAILABLE
            assert dead in e.value.details
            for q in queries:
                keys_q, dist = coll.search(q, k=10, exhaustive=True,
                                           allow_partial=True)
                want_keys, want_dist = brute_force(live, q, 10)
                assert keys_q == want_keys
                np.testing.assert_array_equal(dist, want_dist)
                assert coll.search(q, k=10, exhaustive=True,
                                   allow_partial=True).missing_shards == [dead]
            batch = coll.search_batch(np.stack(queries), k=10, exhaustive=True,
                                      allow_partial=True)
            assert batch.missing_shards == [dead]
            for i, q in enumerate(queries):
                assert batch[0][i] == brute_force(live, q, 10)[0]
    finally:
        router.stop()
        for s in shards:
            s.stop()
