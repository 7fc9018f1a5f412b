# The two set-up commands (README.md): `make demo` and `make test`. Both install what is missing
# (Debian 12), configure with CMake + Ninja, and build.
BUILD ?= build
JOBS ?= $(shell nproc)

.PHONY: deps build demo test bench bench-train clean

deps:
	@bash scripts/install-deps.sh

build: deps
	@cmake -S . -B $(BUILD) -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
	@ninja -C $(BUILD) -j $(JOBS)

demo: build
	@bash scripts/demo.sh $(BUILD)

test: build
	@cd $(BUILD) && ctest --output-on-failure -j $(JOBS)

bench: build
	@bash bench/ingest_bench.sh $(BUILD)

bench-train: build
	@bash bench/train_bench.sh $(BUILD)

clean:
	rm -rf $(BUILD)
