"""Not a product app: the dev stack behind `make run` / `make test`, the benchmarks, the chaos run and the
demo organisation. No product module imports it, and the production image leaves it out (.dockerignore)."""
