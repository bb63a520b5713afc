"""Snapshot tokens through drift_client: reads at a token (search,
search_batch, get) equal a numpy brute force of the state when it was
created, reads without it the new state; release_snapshot and the
`with client.snapshot()` block (also when the block raises) end it, after
which reads with it fail NOT_FOUND. On a primary and through a router."""
import grpc
import numpy as np
import pytest

import drift_client
from conftest import ServerProcess
from test_client import brute_force, expect_exact, random_rows


def load(coll, rng, n=300):
    """n records r0..r{n-1}; the model {key: vector}."""
    rows = random_rows(rng, n)
    keys = [f"r{i}" for i in range(n)]
    assert coll.upsert(keys, rows) == n
    return dict(zip(keys, rows))


def write_and_check(coll, token, before, rng):
    """Rewrites 100 keys, adds 50 and deletes 30; then reads at `token` see
    `before` and reads without it the new state."""
    after = dict(before)
    keys = [f"r{2 * i}" for i in range(100)] + [f"new{i}" for i in range(50)]
    rows = random_rows(rng, len(keys))
    assert coll.upsert(keys, rows) == len(keys)
    after.update(zip(keys, rows))
    deleted = [f"r{i}" for i in range(1, 60, 2)]
    coll.delete(deleted)
    for k in deleted:
        del after[k]
    queries = list(random_rows(rng, 4)) + [before[k] for k in deleted[:2]]
    expect_exact(coll, before, queries, snapshot_token=token)
    expect_exact(coll, after, queries)
    probe = ["r1", "r2", "new0"]
    at = coll.get(probe, snapshot_token=token)
    assert at.found.tolist() == [True, True, False]
    np.testing.assert_array_equal(at.vectors[:2], [before["r1"], before["r2"]])
    now = coll.get(probe)
    assert now.found.tolist() == [False, True, True]
    np.testing.assert_array_equal(now.vectors[1], after["r2"])


def expect_released(coll, token):
    """Reads with `token` fail NOT_FOUND naming it."""
    q = np.zeros(coll.dimension, np.float32)
    for read in (lambda: coll.search(q, k=1, snapshot_token=token),
                 lambda: coll.search_batch(q[None], k=1, snapshot_token=token),
                 lambda: coll.get(["r0"], snapshot_token=token)):
        with pytest.raises(drift_client.DriftError) as e:
            read()
        assert e.value.code == grpc.StatusCode.NOT_FOUND
        assert f"snapshot token {token} " in e.value.details


def test_create_read_release(client):
    rng = np.random.default_rng(11)
    coll = client.create_collection("snap", dimension=8)
    before = load(coll, rng)
    snap = client.create_snapshot(ttl=120)
    assert isinstance(snap, drift_client.Snapshot)
    assert snap.token != 0 and snap.ttl == 120
    token, ttl = snap  # a named tuple
    assert client.create_snapshot().ttl == 300  # the server's default
    write_and_check(coll, token, before, rng)
    # A Snapshot is accepted where a token is.
    assert coll.get(["r1"], snapshot_token=snap).found.tolist() == [True]
    client.release_snapshot(snap)
    expect_released(coll, token)
    with pytest.raises(drift_client.DriftError) as e:
        client.release_snapshot(token)
    assert e.value.code == grpc.StatusCode.NOT_FOUND


def test_context_manager_releases_on_exit_and_on_exceptions(client):
    rng = np.random.default_rng(12)
    coll = client.create_collection("snapctx", dimension=8)
    before = load(coll, rng)
    with client.snapshot() as snap:
        assert snap.ttl == 300
        write_and_check(coll, snap.token, before, rng)
    expect_released(coll, snap.token)

    class Boom(Exception):
        pass

    with pytest.raises(Boom):
        with client.snapshot(ttl=30) as snap:
            assert snap.ttl == 30
            coll.search(before["r0"], k=1, snapshot_token=snap.token)
            raise Boom()
    expect_released(coll, snap.token)
    # Released inside the block: leaving it is not an error.
    with client.snapshot() as snap:
        client.release_snapshot(snap.token)
    expect_released(coll, snap.token)


def test_snapshot_through_a_router():
    """A router over two shards: the token reads every shard at its snapshot
    (the writes below went through this router, so they are in none of the
    shard snapshots); the block's end releases it on the router."""
    shards = [ServerProcess(), ServerProcess()]
    router = ServerProcess(
        ["--role=router", f"--shards={shards[0].address},{shards[1].address}"],
        db=False)
    try:
        rng = np.random.default_rng(13)
        with drift_client.Client(router.address) as c:
            coll = c.create_collection("routed", dimension=8)
            before = load(coll, rng)
            with c.snapshot(ttl=60) as snap:
                assert snap.ttl == 60
                write_and_check(coll, snap.token, before, rng)
            expect_released(coll, snap.token)
            # A shard's own token is not a router token.
            with drift_client.Client(shards[0].address) as s0:
                shard_snap = s0.create_snapshot()
            with pytest.raises(drift_client.DriftError) as e:
                coll.search(before["r0"], k=1, snapshot_token=shard_snap.token)
            assert e.value.code == grpc.StatusCode.INVALID_ARGUMENT
    finally:
        router.stop()
        for s in shards:
            s.stop()
