# Depot: two commands matter, `make dev` and `make test`. Everything they need is installed here.
SHELL := /bin/bash
PY_BASE ?= python3.11
VENV := .venv
PY := $(VENV)/bin/python
SITE := $(VENV)/lib/python3.11/site-packages
PROTOS := $(shell find protos -name '*.proto')
STUBS := $(PROTOS:.proto=_pb2.py)

.PHONY: dev test test-unit lint protos protos-release bench replay-dlq system-deps lock clean

## The Python environment, built from the lock file; rebuilt when the lock changes.
$(VENV)/.installed: requirements.lock pyproject.toml
	test -x $(PY) || $(PY_BASE) -m venv $(VENV)
	$(PY) -m pip install -q -r requirements.lock
	$(PY) -m pip install -q --no-deps -e .
	printf '%s\n%s\n' "$(CURDIR)" "$(CURDIR)/protos" > $(SITE)/depot.pth
	touch $@

## Generated gRPC stubs live next to their .proto files and are never committed.
protos/%_pb2.py: protos/%.proto $(VENV)/.installed
	$(PY) -m grpc_tools.protoc -Iprotos --python_out=protos --pyi_out=protos --grpc_python_out=protos $<

protos: $(STUBS)

## Debian packages the local stack needs (Redis); PostgreSQL 15 is expected in /usr/lib/postgresql/15.
system-deps:
	@command -v redis-server >/dev/null || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq redis-server >/dev/null; }

dev: system-deps $(VENV)/.installed protos
	$(PY) -m libs.stack dev

test: system-deps $(VENV)/.installed protos
	$(PY) -m pytest

test-unit: protos
	$(PY) -m pytest tests/unit

lint: protos
	$(VENV)/bin/ruff check .
	cd protos && ../$(VENV)/bin/buf lint
	cd protos && ../$(VENV)/bin/buf breaking --against released.binpb

## The contracts as released, which `make lint` holds every change to (buf breaking, FILE rules): run it
## when a change that breaks them on purpose (a new major version) is agreed, and commit the image.
protos-release: $(VENV)/.installed
	cd protos && ../$(VENV)/bin/buf build -o released.binpb

bench: protos
	$(PY) -m bench $(ARGS)

## Send dead-lettered events back to their topics, e.g. make replay-dlq ARGS="--topic depot.order".
replay-dlq: protos
	$(PY) -m libs.events.replay_dlq $(ARGS)

## Re-resolve the pinned set after editing pyproject.toml.
lock:
	$(PY) -m pip install -q -e '.[dev]'
	$(PY) -m pip freeze --exclude-editable > requirements.lock

clean:
	find protos -name '*_pb2*.py*' -delete
	rm -rf $(VENV)
