#!/usr/bin/env bash
# check_ranks.sh HEADER
# STYLE point 9: every group of MPR_EXTERN prototypes in HEADER says which
# ranks may call it, as every PETSc routine says Collective or Not
# Collective. A group is a run of MPR_EXTERN declarations without a blank
# line or a new comment block between them; its comment block is the one
# just above it (typedefs and #defines may stand between, a blank line may
# not), and that block needs a line that begins "Ranks:". Prints each group
# that lacks one, by line and first function; exits 1 if any does (or if
# no group is found, a sign the header's layout changed under this script).
set -u
hdr=${1:?usage: check_ranks.sh HEADER}
awk '
function has_ranks(text,    n, i, lines) {
    n = split(text, lines, "\n")
    for (i = 1; i <= n; i++)
        if (lines[i] ~ /^[ \t]*(\/\*|\*)?[ \t]*Ranks: *[^ ]/)
            return 1
    return 0
}
function end_block(line) { return line ~ /\*\// }
in_doc {                           # inside a comment block that opened a line
    doc = doc "\n" $0
    if (end_block($0)) { in_doc = 0; doc_open = 1 }
    next
}
in_trailing {                      # a comment after code that runs on
    if (end_block($0)) in_trailing = 0
    next
}
/^[ \t]*$/ { doc_open = 0; in_group = 0; next }
/^[ \t]*\/\*/ {
    in_group = 0; doc = $0; doc_open = 0
    if (end_block($0)) doc_open = 1; else in_doc = 1
    next
}
/^MPR_EXTERN[ \t]/ {
    if (!in_group) {
        groups++
        name = $0
        sub(/\(.*/, "", name); sub(/.*[ *]/, "", name)
        if (!doc_open) {
            printf "%s:%d: %s: no comment block just above the group\n", FILENAME, FNR, name
            bad++
        } else if (!has_ranks(doc)) {
            printf "%s:%d: %s: the comment above the group has no Ranks: line\n", FILENAME, FNR, name
            bad++
        }
        in_group = 1
    }
}
/\/\*/ && !/\/\*.*\*\// { in_trailing = 1 }
END {
    if (groups == 0) { print "no MPR_EXTERN groups found in " FILENAME; exit 1 }
    printf "%d groups of MPR_EXTERN prototypes, %d without Ranks:\n", groups, bad
    exit bad > 0
}' "$hdr"
