# heron — the two commands of the README's quick start:
#   make run    install what is missing, build, start heron server on :9797
#   make test   build twice (release with -Werror, and ASan+UBSan) and run
#               the whole suite in both
JOBS ?= $(shell nproc)
BUILD_FLAGS = -DCMAKE_BUILD_TYPE=Release -DHERON_WERROR=ON
ASAN_FLAGS = -DCMAKE_BUILD_TYPE=RelWithDebInfo -DHERON_WERROR=ON -DHERON_SANITIZE=ON

.PHONY: all deps build-deps build build-asan test run bench clean
# One step at a time (apt must not run twice at once); the compiler runs
# in parallel inside each build.
.NOTPARALLEL:

all: build

build-deps:
	@scripts/deps.sh build

deps:
	@scripts/deps.sh

build: build-deps
	@cmake -S . -B build $(BUILD_FLAGS) >/dev/null
	@cmake --build build -j$(JOBS)

build-asan: build-deps
	@cmake -S . -B build-asan $(ASAN_FLAGS) >/dev/null
	@cmake --build build-asan -j$(JOBS)

test: deps build build-asan
	@scripts/test.sh build build-asan

run: build
	./build/heron server

bench: build
	@scripts/bench.sh build

clean:
	rm -rf build build-asan
