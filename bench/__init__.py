"""The page benchmark (`make bench`): a seeded PostgreSQL database, the portal under gunicorn,
and a trivial "ceiling" endpoint measured in the same run. Installed only by `bench.settings`
(and the test settings, for its commands); the portal never imports it."""
