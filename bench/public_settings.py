"""Settings for bench/public_pages.py only: the product's, with the benchmark's URLs (the
baseline view lives there, never in the product)."""

from rumorcases.settings import *  # noqa: F403

ROOT_URLCONF = "bench.public_urls"
