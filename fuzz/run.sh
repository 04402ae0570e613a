#!/bin/sh
# A fixed-length run of the model fuzzer, as a test:
#   run.sh FUZZER BOOT_CMDLINE SEED_CORPUS WORK_DIR
# FUZZER is empty when the build has -Dfuzz=false: the test is skipped (77).
# KMM_FUZZ_TIME sets the seconds (default 30).  New inputs and any crash
# go to WORK_DIR, never into the seed corpus in the tree.
fuzzer=$1 boot=$2 seeds=$3 work=$4
if [ -z "$fuzzer" ]; then
  echo "fuzz_model not built (meson configure -Dfuzz=true)"
  exit 77
fi
mkdir -p "$work/corpus"
# libFuzzer's own exit code for a crash or a timeout is 77, which meson
# reads as "skipped": a mismatch must fail the test.
KMM_FUZZ_BOOT=$boot exec "$fuzzer" -max_total_time="${KMM_FUZZ_TIME:-30}" -max_len=2048 \
  -error_exitcode=1 -timeout_exitcode=1 -timeout=60 -print_final_stats=1 -artifact_prefix="$work/" "$work/corpus" "$seeds"
