# archc: the two entry points of the README. Both are idempotent and do all set-up themselves.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
# The exact versions the suite runs with; `make lock` refreshes them (see the Development section of README.md).
LOCK   := constraints.txt

.PHONY: demo test test-slow setup bytecode graphviz chromium clean schema docs fuzz

demo: setup
	$(BIN)/archc build specs/resnet50_signs.yaml -o build/

# The default suite: everything but the tests marked slow (the large keras.applications variants at full size,
# their profiles); `make test-slow` runs those (each takes from ten seconds to a few minutes; profiling a model of
# over 100 million parameters freezes its weights into the graph, several GB of memory).
test: setup
	$(BIN)/python -m pytest -q -n 2 --dist loadgroup -m "not slow"

test-slow: setup
	$(BIN)/python -m pytest -q -n 2 --dist loadgroup -m slow

# Mutation fuzzing of every bundled spec (bytes, YAML tokens, structure) against the contract: only clean
# diagnostics, exit codes 0/1/2. `make test` runs 100 examples per level; this runs FUZZ_EXAMPLES (default 20000).
FUZZ_EXAMPLES ?= 20000
fuzz: setup
	ARCHC_FUZZ_EXAMPLES=$(FUZZ_EXAMPLES) $(BIN)/python -m pytest -q -n 2 tests/property/test_fuzz.py

setup: $(STAMP) bytecode graphviz chromium yls

# archc's own modules compiled to bytecode once (pip does it for the dependencies): an editable install is otherwise
# compiled at every start where bytecode is not written (PYTHONDONTWRITEBYTECODE), 0.2 s of CPU per command. Stale
# files are recompiled: compileall skips the up-to-date ones, and Python checks each against its source.
bytecode: $(STAMP)
	$(BIN)/python -m compileall -q archcompiler $(PLUGINS)

# The example layer plugin (plugins/archc-vit-layers) is installed after archc, editable, without dependencies of
# its own (archc and Keras are there already): the plugin tests use it.
PLUGINS := plugins/archc-vit-layers

$(STAMP): pyproject.toml $(LOCK) $(addsuffix /pyproject.toml,$(PLUGINS))
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q -c $(LOCK) pip
	$(BIN)/python -m pip install -q -c $(LOCK) -e '.[all]'
	$(BIN)/python -m pip install -q --no-deps $(addprefix -e ,$(PLUGINS))
	touch $(STAMP)

# Re-resolves every dependency (the newest versions pyproject.toml allows) in a scratch environment and writes them
# to constraints.txt. Run it, then `make test`, and commit constraints.txt with the change that needed it.
.PHONY: lock
lock:
	rm -rf .lock-venv
	$(PYTHON) -m venv .lock-venv
	.lock-venv/bin/python -m pip install -q --upgrade pip
	.lock-venv/bin/python -m pip install -q '.[all]'
	{ echo "# Exact versions of every dependency, written by 'make lock'; 'make setup' installs these."; \
	  .lock-venv/bin/python -m pip freeze --exclude archcompiler --all | grep -v -E '^(setuptools|wheel)=='; } > $(LOCK)
	rm -rf .lock-venv

# Graphviz's `dot` renders diagrams; install it when missing and possible (root with apt-get).
graphviz:
	@command -v dot >/dev/null 2>&1 || { \
	  if command -v apt-get >/dev/null 2>&1 && [ "$$(id -u)" = 0 ]; then \
	    (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq graphviz >/dev/null) \
	      || echo "warning: could not install graphviz; diagrams other than -f dot will fail"; \
	  else echo "warning: Graphviz's dot not found; install it (e.g. apt-get install graphviz) to render diagrams"; fi; }

# Debian's Chromium and ChromeDriver for the browser tests of `archc report` (tests/browser/); installed when missing
# and possible (root with apt-get), else those tests are skipped with the reason.
chromium:
	@{ command -v chromium >/dev/null 2>&1 && command -v chromedriver >/dev/null 2>&1; } || { \
	  if command -v apt-get >/dev/null 2>&1 && [ "$$(id -u)" = 0 ]; then \
	    { DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium chromium-driver >/dev/null 2>&1 \
	      || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium chromium-driver >/dev/null; }; } \
	      || echo "warning: could not install chromium; the browser tests will be skipped"; \
	  else echo "warning: chromium or chromedriver not found; install them (apt-get install chromium chromium-driver) for the browser tests"; fi; }

# Both copies of the JSON Schema: the repository's (editors point at it) and the package's (archc schema --check).
schema: setup
	$(BIN)/archc schema -o schema/archspec.schema.json
	$(BIN)/archc schema -o archcompiler/data/archspec.schema.json

# yaml-language-server for the editor tests (tests/editor/), at the versions tools/yls/package-lock.json pins, in
# .cache/yls/ (git-ignored). Where node or npm is missing it warns, and those tests are skipped.
YLS_DIR := .cache/yls
YLS     := $(YLS_DIR)/node_modules/.bin/yaml-language-server
.PHONY: yls
yls:
	@if command -v node >/dev/null 2>&1 && command -v npm >/dev/null 2>&1; then \
	  $(MAKE) -s --no-print-directory $(YLS); \
	else echo "warning: node/npm not found; the editor tests (tests/editor/) will be skipped"; fi

$(YLS): tools/yls/package.json tools/yls/package-lock.json
	mkdir -p $(YLS_DIR)
	cp tools/yls/package.json tools/yls/package-lock.json $(YLS_DIR)/
	cd $(YLS_DIR) && npm ci --no-audit --no-fund --ignore-scripts --loglevel=error
	touch $(YLS)

# Regenerates what the docs generate from the code: the JSON Schema, the layer reference, the zoo page
# (docs/zoo.md) and its diagrams (docs/zoo/*.svg, one per family, block level).
docs: schema graphviz
	$(BIN)/python -m archcompiler.docs
	$(BIN)/python -m archcompiler.zoo --images

clean:
	rm -rf build $(VENV) .pytest_cache .hypothesis $(YLS_DIR)

# Regenerates the diagrams embedded in docs/diagrams.md: the SVG, and beside it the DOT text that
# tests/golden/test_dot_golden.py compares with what archc writes today.
.PHONY: docs-img
DOC_IMAGES := resnet50_signs squeezenet
docs-img: setup
	@for s in $(DOC_IMAGES); do \
	  $(BIN)/archc render specs/$$s.yaml -f dot -o docs/img/$$s.dot && \
	  $(BIN)/archc render specs/$$s.yaml -f svg -o docs/img/$$s.svg || exit 1; \
	done
