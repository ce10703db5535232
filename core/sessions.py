"""Sessions kept in the database and cached, that outlive the cache going away.

Django's `cached_db` engine reads a session from the cache and writes it through to the
database, but only some of its cache calls survive a cache error: with Redis down,
loading a session found in the database still writes it back to the cache and fails,
so every signed-in page failed. Here every cache call of the engine is tried, and a
failure is a miss (a read) or a skipped write, logged: the database has every session,
so members stay signed in and sign in while the cache is down.

A session ended while the cache was down (signing out, a password change ending the
others) is gone from the database but may still be in a cache that kept its data; it is
found there again, for at most its remaining age, unless the cache is flushed when it
comes back.
"""

import logging

from django.contrib.sessions.backends.cached_db import SessionStore as CachedDBStore

logger = logging.getLogger("portal.cache")


class _CacheOrDatabase:
    """The session cache's calls that `cached_db` makes, a failure of each a miss."""

    def __init__(self, cache):
        self.cache = cache

    def _failed(self, operation: str, error: Exception) -> None:
        logger.warning(
            "session cache unavailable, the database answers",
            extra={"operation": operation, "error": type(error).__name__},
        )

    def get(self, key, default=None):
        try:
            return self.cache.get(key, default)
        except Exception as error:  # any cache failure: the database has the session
            self._failed("get", error)
            return default

    def set(self, key, value, timeout=None) -> None:
        try:
            self.cache.set(key, value, timeout)
        except Exception as error:
            self._failed("set", error)

    def delete(self, key) -> None:
        try:
            self.cache.delete(key)
        except Exception as error:
            self._failed("delete", error)

    def __contains__(self, key) -> bool:
        try:
            return self.cache.has_key(key)
        except Exception as error:
            self._failed("has_key", error)
            return False

    async def aget(self, key, default=None):
        try:
            return await self.cache.aget(key, default)
        except Exception as error:
            self._failed("get", error)
            return default

    async def aset(self, key, value, timeout=None) -> None:
        try:
            await self.cache.aset(key, value, timeout)
        except Exception as error:
            self._failed("set", error)

    async def adelete(self, key) -> None:
        try:
            await self.cache.adelete(key)
        except Exception as error:
            self._failed("delete", error)


class SessionStore(CachedDBStore):
    """`cached_db` sessions, read from the database while the cache fails."""

    def __init__(self, session_key=None):
        super().__init__(session_key)
        self._cache = _CacheOrDatabase(self._cache)
