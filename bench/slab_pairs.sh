#!/bin/sh
# Instructions per pair of the slab fast paths (bench/slab_pairs.c), of
# the order-0 page allocator (bench/order0_pairs.c) and of malloc + free in
# libkmm-malloc.so (bench/malloc/pairs.c, on a 1 GiB machine: valgrind
# cannot reserve the default kernel window), counted by callgrind.
# Usage: bench/slab_pairs.sh [BUILD_DIR] [N]
set -e
build=${1:-build}
n=${2:-20000}
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
valgrind --tool=callgrind --callgrind-out-file="$dir/sp.%p" \
	"$build/bench/slab_pairs" "$n" >/dev/null 2>&1
for f in "$dir"/sp.*.*; do
	name=$(sed -n 's/^desc: Trigger: Client Request: //p' "$f")
	ir=$(sed -n 's/^summary: //p' "$f")
	echo "$name $ir"
done | awk -v n="$n" '
	{ per[$1] = $2 / n; order[NR] = $1 }
	END { for (i = 1; i <= NR; i++) printf "%-12s %7.1f Ir/pair\n", order[i], per[order[i]] }' |
	sort -t- -k1,1 -k2n
valgrind --tool=callgrind --callgrind-out-file="$dir/o0" --toggle-collect=order0_pairs \
	"$build/bench/order0_pairs" "$n" >/dev/null 2>&1
ir=$(sed -n 's/^summary: //p' "$dir/o0")
# order0_pairs runs its loop once to warm up (1000 pairs) and once measured.
awk -v ir="$ir" -v n="$n" 'BEGIN { printf "%-12s %7.1f Ir/pair\n", "order0", ir / (n + 1000) }'
valgrind --tool=callgrind --trace-children=yes --callgrind-out-file="$dir/mp.%p" \
	env KMM_CMDLINE="mem=1G" LD_PRELOAD="$build/src/preload/libkmm-malloc.so" \
	"$build/bench/malloc_pairs" "$n" >/dev/null 2>&1
for f in "$dir"/mp.*.*; do
	name=$(sed -n 's/^desc: Trigger: Client Request: //p' "$f")
	[ -n "$name" ] && echo "$name $(sed -n 's/^summary: //p' "$f")"
done | awk -v n="$n" '{ printf "%-16s %7.1f Ir/pair\n", $1, $2 / n }' | sort -t- -k2,2 -k3n
