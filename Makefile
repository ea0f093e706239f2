# Resolute — the two commands a newcomer needs are `make run` and `make test`.
.PHONY: run test lint format bench bench-short clean

run:            ## start web, worker, beat and a mail viewer on embedded defaults
	@bash scripts/run.sh

test:           ## lint, types, migrations check and the whole test suite (PostgreSQL + Redis)
	@bash scripts/test.sh

lint:
	@bash scripts/bootstrap.sh requirements-dev.lock
	.venv/bin/ruff check . && .venv/bin/ruff format --check . && DEBUG=true .venv/bin/mypy config campaign advocacy

format:
	.venv/bin/ruff format . && .venv/bin/ruff check --fix .

bench:          ## the benchmark scenarios (bench/README.md)
	@bash bench/run.sh

bench-short:
	@bash bench/run.sh --short

clean:
	rm -rf var/broker var/cache var/test .pytest_cache .mypy_cache
