"""Counters in the shared cache, for limits per window of time (the cases a member opens
in an hour)."""

from django.core.cache import cache


def count_one(key: str, seconds: int) -> int:
    """Add one to the counter `key` (kept `seconds`, shared by every process) and return
    its new value."""
    cache.add(key, 0, timeout=seconds)
    try:
        return cache.incr(key)
    except ValueError:  # expired (or evicted) between add and incr: count from here
        cache.set(key, 1, timeout=seconds)
        return 1
