from django.apps import AppConfig


class BenchConfig(AppConfig):
    """Installed so `manage.py bench_seed` and `bench_run` exist; it has no models."""

    name = "bench"
    verbose_name = "Page benchmark"
