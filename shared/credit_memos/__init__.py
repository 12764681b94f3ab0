"""Credit memo service: domain package shared by every Lambda function.

Every handler imports this package first, so init's garbage-collector tuning starts here
(:mod:`credit_memos.gc_tuning`); handlers call ``credit_memos.end_of_init()`` once built.
"""

from credit_memos.gc_tuning import build_long_lived, end_of_init, start_of_init

start_of_init()

__all__ = ["build_long_lived", "end_of_init"]
