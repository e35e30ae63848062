#!/bin/sh
# demo.sh - cluster the sample news in datasets/sample/ and show the copies.
#
# Usage: sh datasets/demo.sh PATH/TO/wiredup
#
# Runs `wiredup dedup --clusters=FILE` on datasets/sample/news.jsonl, then
# prints every cluster with two or more documents, one line per member with
# its similarity to the cluster's first document and the start of its
# headline (the text up to the first line break), and a summary line.
# Needs only POSIX sh and awk.

if [ $# -ne 1 ]; then
    echo "usage: sh datasets/demo.sh PATH/TO/wiredup" >&2
    exit 2
fi
prog=$1
case $prog in
*/*)
    if [ ! -x "$prog" ]; then
        echo "demo: $prog: not found or not executable (build it with 'make')" >&2
        exit 2
    fi ;;
esac

here=$(dirname "$0")
data=$here/sample/news.jsonl
if [ ! -r "$data" ]; then
    echo "demo: cannot read $data" >&2
    exit 3
fi

tmp=$(mktemp "${TMPDIR:-/tmp}/wiredup-demo.XXXXXX") || exit 4
trap 'rm -f "$tmp"' EXIT
trap 'exit 130' HUP INT TERM

"$prog" dedup --clusters="$tmp" "$data" > /dev/null
rc=$?
if [ $rc -ne 0 ]; then
    echo "demo: '$prog dedup' failed (exit code $rc)" >&2
    exit $rc
fi

# Bytes, not characters, in every awk (mawk, gawk, busybox): the headline is
# cut on UTF-8 character boundaries by hand below.
LC_ALL=C awk -v width=70 '
BEGIN {
    FS = "\t"
    for (i = 128; i < 192; i++) cont = cont sprintf("%c", i)  # UTF-8 continuation bytes
}

# The value of the JSON string field "key" in line s, up to its first line
# break, with the common escapes undone; "" when absent.
function field(s, key,    v, out, i, c, n) {
    if (!match(s, "\"" key "\"[ \t]*:[ \t]*\"")) return ""
    v = substr(s, RSTART + RLENGTH)
    out = ""
    n = length(v)
    for (i = 1; i <= n; i++) {
        c = substr(v, i, 1)
        if (c == "\"") break
        if (c == "\\") {
            c = substr(v, ++i, 1)
            if (c == "n" || c == "r") break
            if (c == "t") c = " "
            else if (c == "u") { c = "\\u" substr(v, i + 1, 4); i += 4 }
            else if (c != "\"" && c != "\\" && c != "/") c = "\\" c
        }
        out = out c
    }
    return out
}

# The first w characters of UTF-8 string s, "..." appended when cut.
function clip(s, w,    i, n, chars) {
    n = length(s)
    chars = 0
    for (i = 1; i <= n; i++) {
        if (!index(cont, substr(s, i, 1)) && ++chars > w)
            return substr(s, 1, i - 1) "..."
    }
    return s
}

# First file: the sample, for the headlines and the document count.
FNR == NR {
    if ($0 ~ /^[ \t\r]*$/) next
    docs++
    id = field($0, "id")
    if (id != "") head[id] = field($0, "text")
    next
}

# Second file: id TAB cluster TAB similarity, one line per record (records
# missing from it count as singletons).
NF >= 2 {
    c = $2
    if (!(c in size)) order[++nclusters] = c
    size[c]++
    members[c] = members[c] " " $1
    line[c, size[c]] = $1
    sim[c, size[c]] = (NF >= 3 ? $3 : "")
}

END {
    copies = 0
    dropped = 0
    for (k = 1; k <= nclusters; k++) {
        c = order[k]
        if (size[c] < 2) continue
        copies++
        dropped += size[c] - 1
        printf "cluster %s (%d docs):%s\n", c, size[c], members[c]
        for (m = 1; m <= size[c]; m++) {
            id = line[c, m]
            h = (id in head) ? clip(head[id], width) : "?"
            printf "  %-6s %-6s %s\n", id, sim[c, m], h
        }
        print ""
    }
    printf "%d documents, %d clusters with copies, %d documents kept\n",
        docs, copies, docs - dropped
}
' "$data" "$tmp"
