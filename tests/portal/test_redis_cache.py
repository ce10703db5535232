"""The Redis cache keeps one client per connection pool."""

import os

import pytest

from portal.redis_cache import RedisCache

REDIS_URL = os.environ.get("REDIS_URL", "")


def test_one_client_serves_every_call_to_the_same_server():
    cache = RedisCache("redis://127.0.0.1:6379/15", {})  # builds no connection until used
    client = cache._cache.get_client("a-key", write=True)
    assert cache._cache.get_client("another-key", write=True) is client
    assert cache._cache.get_client("a-key") is client  # one server: reads go to it too


def test_writes_and_reads_keep_a_client_each_with_a_replica():
    cache = RedisCache("redis://127.0.0.1:6379/15;redis://127.0.0.1:6379/14", {})
    writer = cache._cache.get_client(write=True)
    reader = cache._cache.get_client()
    assert writer is not reader
    assert writer.connection_pool.connection_kwargs["db"] == 15
    assert reader.connection_pool.connection_kwargs["db"] == 14
    assert cache._cache.get_client(write=True) is writer
    assert cache._cache.get_client() is reader


def test_each_replica_keeps_its_own_pool_and_client():
    servers = [f"redis://127.0.0.1:6379/{db}" for db in (15, 14, 13)]
    cache = RedisCache(";".join(servers), {})
    for _ in range(50):  # reads pick a replica at random: enough to meet both
        cache._cache.get_client()
    cache._cache.get_client(write=True)
    clients = cache._cache._clients
    assert sorted(clients) == [0, 1, 2]
    for index, client in clients.items():
        assert client.connection_pool is cache._cache._pools[index]
        assert client.connection_pool.connection_kwargs["db"] == (15, 14, 13)[index]


@pytest.mark.skipif(not REDIS_URL, reason="needs REDIS_URL")
def test_the_reused_client_reads_writes_and_counts():
    cache = RedisCache(REDIS_URL, {"OPTIONS": {}})
    cache.set("redis-cache-test", {"figures": [1, 2]}, 30)
    assert cache.get("redis-cache-test") == {"figures": [1, 2]}
    cache.set("redis-cache-count", 1, 30)
    assert cache.incr("redis-cache-count") == 2
    cache.delete_many(["redis-cache-test", "redis-cache-count"])
    assert cache.get_many(["redis-cache-test", "redis-cache-count"]) == {}
