# The two set-up commands (README.md): `make demo` and `make test`. Both install what is missing
# (Debian 12), configure with CMake + Ninja, and build.
BUILD ?= build
JOBS ?= $(shell nproc)

.PHONY: deps build demo test asan fuzz bench bench-train bench-baselines clean

deps:
	@bash scripts/install-deps.sh

build: deps
	@cmake -S . -B $(BUILD) -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
	@ninja -C $(BUILD) -j $(JOBS)

demo: build
	@bash scripts/demo.sh $(BUILD)

test: build
	@cd $(BUILD) && ctest --output-on-failure -j $(JOBS)

# ASan + UBSan build of everything (build-asan/), then the whole suite; the CLI subprocesses the
# tests start are instrumented too and any report fails its test (tests/sanitizers/README.md).
# Not part of `make test`: it takes several times longer (see tests/sanitizers/README.md).
asan: deps
	@cmake -S . -B build-asan -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DSNPFLOW_SANITIZE=ON >/dev/null
	@ninja -C build-asan -j $(JOBS)
	@cd build-asan && ctest --output-on-failure -j $(JOBS)

# libFuzzer targets (tests/fuzz/README.md): clang-14 build in build-fuzz/, then FUZZ_RUNS
# executions of each target from the checked-in seeds. Outside CI; findings stop it.
FUZZ_RUNS ?= 100000
fuzz: deps
	@cmake -S . -B build-fuzz -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
	  -DCMAKE_C_COMPILER=clang-14 -DCMAKE_CXX_COMPILER=clang++-14 -DSNPFLOW_FUZZ=ON \
	  -DSNPFLOW_WITH_TORCH=OFF -DSNPFLOW_BUILD_TESTS=OFF >/dev/null
	@ninja -C build-fuzz -j $(JOBS) fuzz_vcf fuzz_store fuzz_npy
	@bash tests/fuzz/run.sh build-fuzz $(FUZZ_RUNS)

bench: build
	@bash bench/ingest_bench.sh $(BUILD)

bench-train: build
	@bash bench/train_bench.sh $(BUILD)

bench-baselines: build
	@bash bench/baselines.sh $(BUILD)

clean:
	rm -rf $(BUILD) build-asan build-fuzz
