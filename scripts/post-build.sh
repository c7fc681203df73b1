#!/usr/bin/env bash
# Trunk's post_build hook (Trunk.toml), on Trunk's staging directory
# ($TRUNK_STAGING_DIR, or the first argument):
#
# 1. Publishes tutorials/ into lessons/ (`distlab export-lessons`): the page
#    fetches its catalogue and the file it opens (web/src/lesson/files.rs).
# 2. In a release build, moves the code of every protocol but the default
#    scenario's, of lessons and of the stage views only those protocols
#    draw, out of the page's wasm into deferred-<tag>.wasm
#    (tools/split), which the page fetches when it opens one of them
#    (web/src/code.rs), then optimises both modules with wasm-opt (Trunk's
#    own wasm-opt step is off, index.html data-wasm-opt="0", because the
#    split needs the function names wasm-opt strips).
#
# DISTLAB_WITHOUT (bench --marginal builds the page without a protocol) is
# dropped for the CLI so it is not rebuilt; a protocol the page lacks
# matches no function and is simply not deferred.
set -euo pipefail

dir="${1:-${TRUNK_STAGING_DIR:?usage: scripts/post-build.sh STAGING_DIR}}"
cli=(env -u DISTLAB_WITHOUT cargo run --quiet --release --offline -p distlab-cli --)

"${cli[@]}" export-lessons tutorials "$dir/lessons"

# The default scenario (web/src/lesson/files.rs DEFAULT) and, from the
# catalogue just written, its protocol: that protocol's code stays in the
# first load.
default=$(sed -n 's/^pub const DEFAULT: &str = "\(.*\)";$/\1/p' web/src/lesson/files.rs)
first=$(node -e 'const [c, d] = process.argv.slice(1);
  const row = JSON.parse(require("fs").readFileSync(c, "utf8")).find((r) => r.path === d);
  if (!row) { console.error(`post-build: the default scenario "${d}" is not in ${c}`); process.exit(1); }
  console.log(row.protocol);' "$dir/lessons/catalog.json" "$default")

[ "${TRUNK_PROFILE:-release}" = "release" ] || exit 0
shopt -s nullglob
wasm=("$dir"/*_bg.wasm)
[ "${#wasm[@]}" -eq 1 ] || { echo "post-build: expected one *_bg.wasm in $dir, found ${#wasm[@]}" >&2; exit 1; }
wasm="${wasm[0]}"
rm -f "$dir"/deferred-*.wasm

# What moves (name substrings; crate hashes are left out of the names).
# A protocol's own code, labelled with the protocol: kept where code that
# stays calls it directly (a body folded with a shared one).
defer=()
# (An assignment, so a failing CLI or node stops the build; a command
# substitution in a for list would not.)
names=$("${cli[@]}" protocols --json | node -e 'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>{for(const p of JSON.parse(s))console.log(p.name)})')
[ -n "$names" ] || { echo "post-build: distlab protocols listed no protocol" >&2; exit 1; }
for p in $names; do
  [ "$p" = "$first" ] || defer+=(--defer "$p=::protocols::$p::")
done
# Code the page reaches only once it has loaded the second module: lessons
# (the page loads it before it opens a lesson file) and the stage views of
# deferred protocols (drawn only for their scenarios).
for s in distlab_core::lesson::Lesson distlab_core::lesson::Condition distlab_core::scenario::action:: distlab_core::scenario::condition:: \
  ::LessonSpec ::StepSpec ::ActionSpec ::ConditionSpec distlab_web::lesson::pane::open_pane; do
  defer+=(--defer-called "lesson=$s")
done
for s in distlab_web::stage::locks:: distlab_web::stage::ring::; do
  defer+=(--defer-called "stage=$s")
done
# Kept whatever their name, with all they call: what the page calls before
# it loads the second module. The start page lists every protocol's title
# and family (`Protocol::info`, built once in a LazyLock `INFO`); drop glue
# runs wherever a value of an optional lesson type goes away.
keep=(--keep ">::info" --keep "::INFO::" --keep "drop_in_place")
map="${CARGO_TARGET_DIR:-target}/distlab-split.map"
env -u DISTLAB_WITHOUT cargo run --quiet --release --offline -p distlab-split -- \
  "$wasm" --primary "$wasm.split" --out-dir "$dir" --map "$map" --loader distlab_code_load_now "${defer[@]}" "${keep[@]}"
mv "$wasm.split" "$wasm"

# DISTLAB_WASM_NAMES=1 keeps the function names (a trap's stack then says
# which function; the page is bigger).
opt=(-Oz --enable-reference-types --strip-producers --strip-target-features)
[ -z "${DISTLAB_WASM_NAMES:-}" ] || opt+=(-g)
# binaryen 132 from npm (package.json), whatever else is on PATH: Debian's
# binaryen 108 breaks the page (ARCHITECTURE.md).
wasm_opt="$PWD/node_modules/.bin/wasm-opt"
case "$("$wasm_opt" --version 2>/dev/null)" in
  *"version 132"*) ;;
  *) echo "post-build: $wasm_opt is not binaryen 132 (run scripts/setup.sh web)" >&2; exit 1 ;;
esac
for m in "$wasm" "$dir"/deferred-*.wasm; do
  "$wasm_opt" "${opt[@]}" "$m" -o "$m"
done
