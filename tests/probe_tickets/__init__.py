"""A ticket type that exists only in the test suite (issue 8 acceptance).

It is the proof that a new type is a matter of its own app: nothing outside this package
names it, yet the kernel, SLA, communications, inbound mail, the console and the API serve it.
"""
