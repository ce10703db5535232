"""Race tests: calls released at the same moment, each on its own database connection.

They run only where the database really locks rows (PostgreSQL in CI): SQLite
ignores select_for_update, so there they would prove nothing.
"""

import threading

import pytest
from django.db import connection, connections

RACE_TEST_MARKS = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(
        not connection.features.has_select_for_update,
        reason="SQLite ignores select_for_update: race tests run on PostgreSQL",
    ),
]


def run_at_once(*calls):
    """Run each call in its own thread and database connection, released together;
    returns each call's result, or the exception it raised, in order."""
    barrier = threading.Barrier(len(calls))
    outcomes: list[object] = [None] * len(calls)

    def worker(index, call):
        try:
            barrier.wait()
            outcomes[index] = call()
        except Exception as error:  # the outcome is what the test inspects
            outcomes[index] = error
        finally:
            connections.close_all()

    threads = [threading.Thread(target=worker, args=(i, c)) for i, c in enumerate(calls)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return outcomes
