#!/usr/bin/env bash
# bench/record-table.sh - writes a markdown table into bench/RESULTS.md
# between the lines "<!-- NAME-table:begin -->" and "<!-- NAME-table:end -->",
# leaving the text around them (the analysis) as it is; when the markers are
# not there yet, appends "HEADING", then the markers with the table.
# Used by run-suite.sh and run-verify.sh with RECORD=1.
#
#   bench/record-table.sh NAME TABLE.md "HEADING"
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
name=$1 table=$2 heading=$3
results="$root/bench/RESULTS.md"
begin="<!-- $name-table:begin -->"
end="<!-- $name-table:end -->"
if [ -f "$results" ] && grep -qF "$begin" "$results" && grep -qF "$end" "$results"; then
	tmp=$(mktemp)
	awk -v b="$begin" -v e="$end" -v t="$table" '
		$0 == b { print; while ((getline l < t) > 0) print l; skip = 1; next }
		$0 == e { skip = 0 }
		!skip { print }' "$results" >"$tmp"
	cat "$tmp" >"$results"
	rm -f "$tmp"
else
	{ echo; echo "$heading"; echo; echo "$begin"; cat "$table"; echo "$end"; } >>"$results"
fi
echo "wrote the $name table into $results" >&2
