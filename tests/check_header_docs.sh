#!/usr/bin/env bash
# check_header_docs.sh ranks|timeouts HEADER
# STYLE point 9: the comments in HEADER say, for every group of MPR_EXTERN
# prototypes, which ranks may call it and, for a timed call, what it
# returns when the time runs out (the rule is in mpr.h's preamble).
#   ranks:    every group needs a comment line that begins "Ranks:", as
#             every PETSc routine says Collective or Not Collective;
#   timeouts: every group with a `double timeout` parameter needs a line
#             that begins "Timeout:".
# A group is a run of MPR_EXTERN declarations without a blank line or a new
# comment block between them; its comment block is the one just above it
# (typedefs and #defines may stand between, a blank line may not). Prints
# each group that lacks its line, by line and first function; exits 1 if
# any does (or if no group is found, a sign the header's layout changed
# under this script).
set -u
rule=${1:?usage: check_header_docs.sh ranks|timeouts HEADER}
hdr=${2:?usage: check_header_docs.sh ranks|timeouts HEADER}
case $rule in
  ranks) tag=Ranks ;;
  timeouts) tag=Timeout ;;
  *) echo "check_header_docs.sh: unknown rule '$rule'" >&2; exit 2 ;;
esac
awk -v rule="$rule" -v tag="$tag" '
function has_tag(text,    n, i, lines) {
    n = split(text, lines, "\n")
    for (i = 1; i <= n; i++)
        if (lines[i] ~ ("^[ \t]*(/[*]|[*])?[ \t]*" tag "( \\([^)]*\\))?: *[^ ]"))
            return 1
    return 0
}
function end_block(line) { return line ~ /\*\// }
function close_group() {
    if (!in_group)
        return
    in_group = 0
    if (rule == "timeouts" && code !~ /double timeout/)
        return
    checked++
    if (!group_doc) {
        printf "%s:%d: %s: no comment block just above the group\n", FILENAME, group_line, name
        bad++
    } else if (!has_tag(doc)) {
        printf "%s:%d: %s: the comment above the group has no %s: line\n", FILENAME,
               group_line, name, tag
        bad++
    }
}
in_doc {                           # inside a comment block that opened a line
    doc = doc "\n" $0
    if (end_block($0)) { in_doc = 0; doc_open = 1 }
    next
}
in_trailing {                      # a comment after code that runs on
    if (end_block($0)) in_trailing = 0
    next
}
/^[ \t]*$/ { close_group(); doc_open = 0; next }
/^[ \t]*\/\*/ {
    close_group()
    doc = $0; doc_open = 0
    if (end_block($0)) doc_open = 1; else in_doc = 1
    next
}
/^MPR_EXTERN[ \t]/ && !in_group {
    in_group = 1; group_doc = doc_open; group_line = FNR; code = ""
    name = $0
    sub(/\(.*/, "", name); sub(/.*[ *]/, "", name)
}
in_group { code = code " " $0 }
/\/\*/ && !/\/\*.*\*\// { in_trailing = 1 }
END {
    close_group()
    if (checked == 0) { print "no MPR_EXTERN groups found in " FILENAME " for " rule; exit 1 }
    printf "%d groups of MPR_EXTERN prototypes checked for %s:, %d without\n", checked, tag, bad
    exit bad > 0
}' "$hdr"
