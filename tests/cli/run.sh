#!/bin/sh
# Golden CLI tests: each directory under tests/cli/cases/ is one case.
#   cmd         shell commands, run in a scratch copy of the case directory
#               with $WIREDUP set to the program and $DATA to tests/data
#   stdout.exp  expected standard output (byte for byte)
#   stderr.exp  expected standard error
#   exit.exp    expected exit code of the last command
# Usage: tests/cli/run.sh PROGRAM [--regen] [CASE...]
# --regen rewrites the .exp files from the current program: review the diff.
set -u
prog=$(cd "$(dirname "$1")" && pwd)/$(basename "$1"); shift
regen=0
if [ "${1:-}" = "--regen" ]; then regen=1; shift; fi
here=$(cd "$(dirname "$0")" && pwd)
data=$(cd "$here/../data" && pwd)
cases=${*:-$(ls "$here/cases")}
pass=0; fail=0
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
for c in $cases; do
    d="$here/cases/$c"
    w="$tmp/$c"
    mkdir -p "$w" && cp -R "$d/." "$w/"
    (cd "$w" && WIREDUP="$prog" DATA="$data" LC_ALL=C sh ./cmd >"$w/.out" 2>"$w/.err" </dev/null)
    echo $? >"$w/.exit"
    if [ $regen = 1 ]; then
        cp "$w/.out" "$d/stdout.exp"; cp "$w/.err" "$d/stderr.exp"; cp "$w/.exit" "$d/exit.exp"
        continue
    fi
    ok=1
    for f in stdout stderr exit; do
        case $f in stdout) got=.out;; stderr) got=.err;; exit) got=.exit;; esac
        if ! cmp -s "$d/$f.exp" "$w/$got"; then
            [ $ok = 1 ] && echo "FAIL: $c"
            ok=0
            echo "--- $f: expected vs got"
            diff "$d/$f.exp" "$w/$got" | head -20
        fi
    done
    if [ $ok = 1 ]; then pass=$((pass + 1)); else fail=$((fail + 1)); fi
done
[ $regen = 1 ] && { echo "cli: regenerated"; exit 0; }
echo "cli: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
