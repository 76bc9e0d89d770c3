"""Print the time of one password hash with the production argon2id parameters.

.venv/bin/python bench/hash_time.py
"""

from __future__ import annotations

import statistics
import time

from argon2 import PasswordHasher

from portal.config import Config


def main(runs: int = 20) -> None:
    hasher = PasswordHasher(
        time_cost=Config.ARGON2_TIME_COST,
        memory_cost=Config.ARGON2_MEMORY_COST,
        parallelism=Config.ARGON2_PARALLELISM,
    )
    digest = hasher.hash("warm-up-password")
    timings = []
    for _ in range(runs):
        start = time.perf_counter()
        hasher.verify(digest, "warm-up-password")
        timings.append((time.perf_counter() - start) * 1000)
    print(
        f"argon2id m={Config.ARGON2_MEMORY_COST} KiB t={Config.ARGON2_TIME_COST} "
        f"p={Config.ARGON2_PARALLELISM}: median {statistics.median(timings):.1f} ms, "
        f"min {min(timings):.1f} ms, max {max(timings):.1f} ms over {runs} verifications"
    )


if __name__ == "__main__":
    main()
