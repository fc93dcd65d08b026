#!/bin/sh
# The "bare git floor": what one attempt cycle costs in plain git, with no specloop.
#
# specloop's own overhead per attempt is compared against this (DESIGN.md §4: at most
# 1.5x the reused-worktree floor; benchmarks report both floors). Each cycle runs the
# git commands that specloop.gitops runs for one attempt, in the same way:
#
#   workspace  reuse one worktree: switch --force -C <branch> <base SHA>; clean -ffdx
#              (WorktreePool.checkout); with --fresh: worktree add per cycle instead
#   change     append one line to one file (the "agent")
#   commit     add -A; commit --no-verify              (commit_attempt)
#   diff       diff-tree -r -M --name-status -z          (changed_files)
#   check      merge-tree --write-tree --name-only       (merge_check)
#   merge      commit-tree <tree> -p <base> -p <head>; merge --ff-only in the checkout
#              that has main checked out, as a user's does (merge_into)
#   clean-up   detach the worktree, delete the merged branch (WorktreePool.retire);
#              with --fresh: worktree remove and delete the branch
#
# Usage: bench/git_floor.sh [--cycles N] [--fresh]     (default 10 cycles, reused)
#        N=50000 bench/git_floor.sh --cycles 5         (files in the generated repo: default 5000)
#
# Prints the time of creating the (reused) worktree once, then per-cycle milliseconds
# with the split by step, then median / min / max of the cycles. Needs git >= 2.38,
# awk, date with %N (GNU coreutils).

set -eu

cycles=10
fresh=0
while [ $# -gt 0 ]; do
    case "$1" in
        --cycles) cycles="$2"; shift 2 ;;
        --cycles=*) cycles="${1#--cycles=}"; shift ;;
        --fresh) fresh=1; shift ;;
        -h|--help) sed -n '2,26p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
        *) echo "git_floor.sh: unknown argument: $1 (try --help)" >&2; exit 2 ;;
    esac
done
files="${N:-5000}"

export LC_ALL=C GIT_PAGER=cat GIT_TERMINAL_PROMPT=0
export GIT_AUTHOR_NAME=bench GIT_AUTHOR_EMAIL=bench@localhost
export GIT_COMMITTER_NAME=bench GIT_COMMITTER_EMAIL=bench@localhost
# Same safety settings specloop passes on every call (no hooks, no fsmonitor).
g() { git -c core.hooksPath=/dev/null -c core.fsmonitor=false "$@"; }

work=$(mktemp -d "${TMPDIR:-/tmp}/git-floor.XXXXXX")
trap 'rm -rf "$work"' EXIT INT TERM
repo="$work/repo"
wt="$work/repo/.specloop/state/worktrees/slot-0"

now() { date +%s%N; }
ms() { echo $(( ($2 - $1) / 1000000 )); }

# -- a repository of $files files, 100 per directory, on main ---------------------------
g init -q -b main "$repo"
printf '.specloop/\n' > "$repo/.gitignore"
awk -v n="$files" -v root="$repo/src" 'BEGIN {
    for (i = 0; i < n; i++) {
        dir = sprintf("%s/pkg%03d", root, int(i / 100))
        if (i % 100 == 0) system("mkdir -p " dir)
        path = sprintf("%s/mod%05d.py", dir, i)
        printf "\"\"\"Module %d.\"\"\"\n\n\ndef f%d(x):\n    return x + %d\n", i, i, i > path
        close(path)
    }
}'
g -C "$repo" add -A
g -C "$repo" commit -q -m "generated: $files files"
g -C "$repo" status --porcelain > /dev/null  # a user's checkout has a fresh index
sync  # write the generated repository out now, not during the timed cycles

start=$(now)
base=$(g -C "$repo" rev-parse --verify "refs/heads/main^{commit}")
if [ "$fresh" -eq 0 ]; then
    g -C "$repo" worktree add -q --force --detach "$wt" "$base"
fi
if [ "$fresh" -eq 1 ]; then
    echo "files: $files; mode: fresh worktree per cycle ($(git --version))"
else
    echo "files: $files; mode: reused worktree; fresh worktree add: $(ms "$start" "$(now)") ms ($(git --version))"
fi
echo "cycle  total_ms  workspace  commit  diff  check  merge  cleanup"

results="$work/results"
: > "$results"
i=1
while [ "$i" -le "$cycles" ]; do
    t0=$(now)
    # Resolve the base once, branch from the SHA (DESIGN.md §4 "Git pitfalls").
    base=$(g -C "$repo" rev-parse --verify "refs/heads/main^{commit}")
    branch="floor/attempt-$i"
    if [ "$fresh" -eq 1 ]; then
        g -C "$repo" worktree add -q --force -B "$branch" "$wt" "$base"
    else
        g -C "$wt" switch -q --force -C "$branch" "$base"
        g -C "$wt" clean -ffdxq
    fi
    t1=$(now)

    target=$(printf 'src/pkg%03d/mod%05d.py' $(( (i % files) / 100 )) $(( i % files )))
    printf '# changed in cycle %d\n' "$i" >> "$wt/$target"
    g -C "$wt" add -A
    g -C "$wt" commit -q --no-verify -m "attempt $i"
    head=$(g -C "$wt" rev-parse HEAD)
    t2=$(now)

    g -C "$repo" diff-tree -r -M --name-status -z "$base" "$head" > /dev/null
    t3=$(now)

    tree=$(g -C "$repo" merge-tree --write-tree --name-only --no-messages "$base" "$head" | head -n 1)
    t4=$(now)

    merge=$(g -C "$repo" commit-tree "$tree" -p "$base" -p "$head" -m "merge attempt $i")
    g -C "$repo" merge --ff-only -q "$merge"
    t5=$(now)

    if [ "$fresh" -eq 1 ]; then
        g -C "$repo" worktree remove --force "$wt"
    else
        g -C "$wt" switch -q --detach
    fi
    g -C "$repo" branch -q -D "$branch"
    t6=$(now)

    total=$(ms "$t0" "$t6")
    echo "$total" >> "$results"
    printf '%5d  %8d  %9d  %6d  %4d  %5d  %5d  %7d\n' "$i" "$total" \
        "$(ms "$t0" "$t1")" "$(ms "$t1" "$t2")" "$(ms "$t2" "$t3")" "$(ms "$t3" "$t4")" \
        "$(ms "$t4" "$t5")" "$(ms "$t5" "$t6")"
    i=$((i + 1))
done

# Every cycle must have landed on main: a floor that skipped work would be meaningless.
merged=$(g -C "$repo" rev-list --count --merges refs/heads/main)
if [ "$merged" -ne "$cycles" ]; then
    echo "git_floor.sh: expected $cycles merges on main, found $merged" >&2
    exit 1
fi

sort -n "$results" | awk '
    { v[NR] = $1 }
    END {
        median = (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2
        printf "cycles: %d  median: %s ms  min: %d ms  max: %d ms\n", NR, median, v[1], v[NR]
    }'
