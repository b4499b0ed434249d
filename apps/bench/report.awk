# report.awk — the Markdown tables of run_suite.sh from samples.csv
# (bench,impl,param,unit,rep,value): median [min, max] of every
# (bench, impl, param), the ratios, and issue 8's goals, met or missed by
# how much. POSIX awk (Debian's mawk): no asort, so a small sort of our own.
NR == 1 { next }
{
    k = $1 SUBSEP $2 SUBSEP $3
    n[k]++
    v[k, n[k]] = $6 + 0
    at[k, $5] = $6 + 0 # by repetition, for paired ratios
    unit[$1] = $4
    if ($5 + 1 > nrep) nrep = $5 + 1
}

function sortk(k,    i, j, t) {
    for (i = 2; i <= n[k]; i++)
        for (j = i; j > 1 && v[k, j - 1] > v[k, j]; j--) {
            t = v[k, j]; v[k, j] = v[k, j - 1]; v[k, j - 1] = t
        }
}
function med(k,    m) {
    if (!(k in n)) return ""
    sortk(k)
    m = n[k]
    return m % 2 ? v[k, (m + 1) / 2] : (v[k, m / 2] + v[k, m / 2 + 1]) / 2
}
function f(x) { return x == "" ? "n/a" : sprintf("%.3g", x) }
function cell(k) {
    if (!(k in n)) return "n/a"
    if (n[k] == 1) return f(med(k))
    return f(med(k)) " [" f(v[k, 1]) ", " f(v[k, n[k]]) "]"
}
function is_time(b) { return unit[b] ~ /^(us|ms|s|us\/item)$/ }
function key(b, impl, p) { return b SUBSEP impl SUBSEP p }
# the param of bench b when the suite sizes it (map_ints: "1000000_ints")
function param_of(b, prefix,    k, parts) {
    for (k in n) {
        split(k, parts, SUBSEP)
        if (parts[1] == b && index(parts[3], prefix) == 1) return parts[3]
    }
    return prefix
}
function goal_text(kind, g) {
    if (kind == "le") return "<= " g "x"
    if (kind == "ge") return sprintf(">= %g/s", g)
    if (kind == "eff") return ">= " g * 100 "%"
    if (kind == "speedup") return ">= " g "x"
    return ""
}
# met/missed text; x is the measured figure the goal is about.
function judge(label, kind, g, x,    r) {
    if (kind == "") return ""
    if (x == "") r = "not measured"
    else if (kind == "le") r = x <= g ? "met" : sprintf("MISSED: %.3gx, %.2gx over the %gx goal", x, x / g, g)
    else if (kind == "ge") r = x >= g ? "met" : sprintf("MISSED: %.3g/s, %.2gx short of %g/s", x, g / x, g)
    else if (kind == "eff") r = x >= g ? "met" : sprintf("MISSED: %.0f%%, %.0f points short of %.0f%%", x * 100, (g - x) * 100, g * 100)
    else r = x >= g ? "met" : sprintf("MISSED: %.3gx, %.2gx short of %gx", x, g / x, g)
    goals[++ngoals] = "- " label " (goal " goal_text(kind, g) "): " (r == "met" ? sprintf("met (%.3g)", x) : r)
    return r == "met" ? "met" : "**" r "**"
}

# Section 1: mpr next to raw MPI. cost = how many times mpr's cost is raw's.
function micro(label, b, p, kind, g,    km, kr, m, r, cost, x, note) {
    p = param_of(b, p)
    km = key(b, "mpr", p); kr = key(b, "raw", p)
    m = med(km); r = med(kr)
    cost = (m == "" || r == "" || m == 0 || r == 0) ? "" : (is_time(b) ? m / r : r / m)
    x = kind == "ge" ? m : cost
    note = ""
    if (b == "pipe_rtt" && p == "1MiB" && m != "" && r != "")
        note = sprintf(" (%.2g vs %.2g GB/s)", 1048576 / m / 1e3, 1048576 / r / 1e3)
    printf "| %s | %s | %s | %s | %s%s | %s | %s |\n", label, unit[b], cell(km), cell(kr),
        cost == "" ? "n/a" : sprintf("%.2f", cost), note, goal_text(kind, g), judge(label, kind, g, x)
}
# The median over repetitions of a/b, each pair from one repetition (so
# both ran within a minute of each other); "" if no repetition has both.
function paired(ka, kb,    r, m, t) {
    m = 0
    for (r = 0; r < nrep; r++)
        if ((ka, r) in at && (kb, r) in at && at[kb, r] > 0)
            pr[++m] = at[ka, r] / at[kb, r]
    if (m == 0) return ""
    delete n["paired"]
    for (r = 1; r <= m; r++) v["paired", r] = pr[r]
    n["paired"] = m
    t = med("paired")
    delete n["paired"]
    return t
}
# Section 2: a parallel run against the serial C run of the same algorithm.
# speedup: serial time / parallel time, paired by repetition; ceiling: the
# efficiency two serial copies at once reach (serial / the slower copy).
function work(label, b, p, w, ps, kind, g,    km, ks, k2, sp, ceil) {
    km = key(b, "mpr", p); ks = key(b, "serial", ps); k2 = key(b, "serial2", ps)
    sp = paired(ks, km)
    ceil = w == 2 ? paired(ks, k2) : ""
    printf "| %s | %d | %s | %s | %s | %s | %s | %s | %s |\n", label, w, cell(km), cell(ks),
        sp == "" ? "n/a" : sprintf("%.2f", sp), sp == "" ? "n/a" : sprintf("%.0f%%", 100 * sp / w),
        ceil == "" ? "" : sprintf("%.0f%%", 100 * ceil), goal_text(kind, g),
        judge(label, kind, g, sp == "" ? "" : sp / w)
}
# A ratio of two mpr configurations, paired by repetition.
function versus(label, b, u, pa, pb, kind, g,    ka, kb, x) {
    ka = key(b, "mpr", pa); kb = key(b, "mpr", pb)
    x = paired(ka, kb)
    printf "| %s | %s | %s | %s | %s | %s | %s |\n", label, u, cell(ka), cell(kb),
        x == "" ? "n/a" : sprintf("%.3g", x), goal_text(kind, g), judge(label, kind, g, x)
}
# Section 3: mpr next to Python; speedup = how many times faster mpr is.
function py(label, b, p, bp, pp, kind, g,    km, kp, m, q, sp) {
    p = param_of(b, p); pp = param_of(bp, pp)
    km = key(b, "mpr", p); kp = key(bp, "python", pp)
    m = med(km); q = med(kp)
    sp = (m == "" || q == "" || m == 0 || q == 0) ? "" : (is_time(b) ? q / m : m / q)
    printf "| %s | %s | %s | %s | %s | %s | %s |\n", label, unit[b], cell(km), cell(kp),
        sp == "" ? "n/a" : sprintf("%.3g", sp), goal_text(kind, g), judge(label, kind, g, sp)
}

END {
    print "## 1. Microbenchmarks: mpr next to raw MPI (same ranks, same run)"
    print ""
    print "cost = mpr's time / raw's time, or raw's rate / mpr's rate: 1.00 is raw MPI's speed."
    print ""
    print "| benchmark | unit | mpr median [min, max] | raw MPI median [min, max] | cost | goal | result |"
    print "|---|---|---|---|---|---|---|"
    micro("Pipe half round trip, 8 B", "pipe_rtt", "8B", "le", 1.5)
    micro("Pipe half round trip, 1 MiB", "pipe_rtt", "1MiB")
    micro("Queue 1 producer/1 consumer, 8 B", "queue", "1x1_8B", "ge", 1e6)
    micro("Queue 1/1, 1 KiB", "queue", "1x1_1KiB")
    micro("Queue 3 producers/3 consumers, 8 B", "queue", "3x3_8B", "ge", 1e6)
    micro("Queue 3/3, 1 KiB", "queue", "3x3_1KiB")
    micro("Queue, 1 independent pair, 8 B (aggregate)", "pairs", "1_pairs_8B")
    micro("Queue, 2 independent pairs, 8 B (aggregate)", "pairs", "2_pairs_8B")
    micro("Queue, 3 independent pairs, 8 B (aggregate)", "pairs", "3_pairs_8B")
    micro("Value fetch_add, 1 origin", "fetch_add", "1_origin", "le", 1.5)
    micro("Value fetch_add, 2 origins", "fetch_add", "2_origins")
    micro("Value load (raw: MPI_Get)", "load", "1_origin")
    micro("Value store (raw: MPI_Put)", "store", "1_origin")
    micro("Lock acquire+release, uncontended", "lock", "1_origin")
    micro("Lock acquire+release, 2 contending", "lock", "2_origins")
    micro("Pool.map of ints, static (raw: Scatterv+Gatherv)", "map_ints", "", "le", 1.5)
    micro("Pool.map chunksize 1, per item (raw: master/worker)", "map_chunk1", "")
    micro("apply_async round trips (raw: master/worker)", "apply_async", "")
    micro("Manager fetch_add, 1 client (raw: ping-pong with rank 0)", "manager", "1_client")
    micro("Manager fetch_add, 3 clients", "manager", "3_clients")
    print ""
    print "## 2. Workloads: mpr next to the serial C run of the same algorithm"
    print ""
    print "speedup and efficiency: serial / mpr time, the median of the repetitions' ratios;"
    print "ceiling: the efficiency two serial copies reach running at once on the two cores."
    print ""
    print "| workload | workers | mpr time s | serial C s | speedup | efficiency | ceiling | goal | result |"
    print "|---|---|---|---|---|---|---|---|---|"
    work("pi, Pool.map", "pi", "pool_1w", 1, "pool_0w")
    work("pi, Pool.map", "pi", "pool_2w", 2, "pool_0w", "eff", 0.9)
    work("pi, batched", "pi", "batched_1w", 1, "batched_0w")
    work("pi, batched", "pi", "batched_2w", 2, "batched_0w")
    work("pi, Processes + Queue", "pi", "processes_2w", 2, "pool_0w")
    work("pi, joblib-style", "pi", "joblib_2w", 2, "pool_0w")
    for (i = 1; i <= 3; i++) {
        m = i == 1 ? "queue" : i == 2 ? "static" : "dynamic"
        work("primes, " m, "primes", m "_1w", 1, "serial_0w")
        work("primes, " m, "primes", m "_2w", 2, "serial_0w", m == "dynamic" ? "eff" : "", 0.9)
    }
    if (key("verify_prime", "serial", "all_0w") in n)
        for (i = 1; i <= 3; i++) {
            m = i == 1 ? "naive" : i == 2 ? "less_naive" : "flagged"
            work("verify_prime five cases, " m, "verify_prime", m "_1w", 1, "all_0w")
            work("verify_prime five cases, " m, "verify_prime", m "_2w", 2, "all_0w")
        }
    print ""
    print "| comparison | unit | first median [min, max] | second median [min, max] | ratio | goal | result |"
    print "|---|---|---|---|---|---|---|"
    versus("primes, queue mode / dynamic mode (2 workers)", "primes", "s", "queue_2w", "dynamic_2w", "le", 1.3)
    versus("primes, queue: one number per put (the document's) / batches of 10000, per number", "primes_per_number", "us", "queue_batch1_2w", "queue_batch10000_2w")
    print ""
    print "## 3. mpr next to Python multiprocessing (2 workers, same cores)"
    print ""
    print "speedup = how many times faster mpr is (time ratio, or rate ratio per item)."
    print ""
    print "| benchmark | unit | mpr median [min, max] | Python median [min, max] | mpr speedup | goal | result |"
    print "|---|---|---|---|---|---|---|"
    py("Pipe half round trip, 8 B", "pipe_rtt", "8B", "pipe_rtt", "8B")
    py("Pipe half round trip, 1 MiB", "pipe_rtt", "1MiB", "pipe_rtt", "1MiB")
    py("Queue 1/1, 8 B", "queue", "1x1_8B", "queue", "1x1_8B")
    py("Queue 1/1, 1 KiB", "queue", "1x1_1KiB", "queue", "1x1_1KiB")
    py("Queue 3/3, 8 B", "queue", "3x3_8B", "queue", "3x3_8B")
    py("Queue 3/3, 1 KiB", "queue", "3x3_1KiB", "queue", "3x3_1KiB")
    py("Pool.map of ints", "map_ints", "", "map_ints", "")
    py("Pool.map chunksize 1, per item", "map_chunk1", "", "map_chunk1", "")
    py("apply_async round trips", "apply_async", "", "apply_async", "")
    py("pi, Pool.map, per trial", "pi_rate", "pool_2w", "pi", "pool_2w", "speedup", 100)
    py("pi, batched (numpy's idea) vs Python's Pool.map, per trial", "pi_rate", "batched_2w", "pi", "pool_2w")
    py("primes, queue (the document's design), per number", "primes_rate", "queue_2w", "primes", "queue_2w", "speedup", 100)
    py("primes, dynamic Pool.map vs Python's queue, per number", "primes_rate", "dynamic_2w", "primes", "queue_2w")
    print ""
    print "## Goals"
    print ""
    for (i = 1; i <= ngoals; i++) print goals[i]
}
