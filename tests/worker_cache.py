"""The Redis cache of one pytest-xdist worker (see `_caches_per_worker` in tests/conftest.py).

Every worker shares REDIS_URL's database. Each worker's keys start with its name (`gw0:`),
and `clear()` deletes only those: Django's own clear() is FLUSHDB, which would also wipe
the sessions and rate-limit counters of tests running at that moment on other workers.
"""

import os

import redis
from django.core.cache.backends.redis import RedisCache


def worker_prefix() -> str:
    """What every key of this worker starts with; empty outside pytest-xdist."""
    worker = os.environ.get("PYTEST_XDIST_WORKER", "")
    return f"{worker}:" if worker else ""


class WorkerRedisCache(RedisCache):
    def __init__(self, server, params):
        super().__init__(server, params)
        self.location = server

    def clear(self) -> bool:
        # As FLUSHDB did for the whole database: every alias's keys, of this worker only.
        client = redis.Redis.from_url(self.location)
        keys = list(client.scan_iter(match=f"{worker_prefix()}*", count=1000))
        if keys:
            client.delete(*keys)
        return True
