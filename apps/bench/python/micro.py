"""Python multiprocessing references for the Pipe, Queue and Pool
microbenchmarks of apps/bench (channels.c, pool.c): the same measurements,
standard library only. Prints `sample,<bench>,python,<param>,<unit>,<rep>,<value>`
lines as the C programs do; run_suite.sh puts them next to mpr's.

  pipe_rtt     Pipe() ping-pong between the parent and one Process,
               send_bytes/recv_bytes of 8 B and 1 MiB: half round trip in us
  queue        Queue(): P producers put N bytes items each, P consumers get
               them; items/s over first start .. last end (a Barrier first)
  map_ints     Pool(2).map(incr, ints) with the default chunksize, in ms
  map_chunk1   Pool(2).map(incr, items, chunksize=1): us per item
  apply_async  Pool(2).apply_async(incr, (i,)) for every item, then get()
"""
import argparse
import multiprocessing as mp
import time


def incr(x):
    return x + 1


def pong(conn, n):
    for _ in range(n):
        conn.send_bytes(conn.recv_bytes())


def pipe_rtt(size, iters, warm):
    a, b = mp.Pipe()
    p = mp.Process(target=pong, args=(b, iters + warm))
    p.start()
    msg = b"x" * size
    for i in range(warm + iters):
        if i == warm:
            t0 = time.monotonic()
        a.send_bytes(msg)
        a.recv_bytes()
    t = time.monotonic() - t0
    p.join()
    return t / iters / 2 * 1e6


def producer(q, gate, times, index, items, size):
    item = b"y" * size
    gate.wait()
    t0 = time.monotonic()
    for _ in range(items):
        q.put(item)
    times[2 * index], times[2 * index + 1] = t0, time.monotonic()


def consumer(q, gate, times, index, count):
    gate.wait()
    t0 = time.monotonic()
    for _ in range(count):
        q.get()
    times[2 * index], times[2 * index + 1] = t0, time.monotonic()


def queue_rate(side, items, size):
    q = mp.Queue()
    gate = mp.Barrier(2 * side)
    times = mp.Array("d", 4 * side, lock=False)
    ps = []
    for c in range(side):
        count = side * (items // side + (c < items % side))
        ps.append(mp.Process(target=consumer, args=(q, gate, times, c, count)))
    for p in range(side):
        ps.append(mp.Process(target=producer, args=(q, gate, times, side + p, items, size)))
    for p in ps:
        p.start()
    for p in ps:
        p.join()
    span = max(times[1::2]) - min(times[0::2])
    return side * items / span


def sample(bench, param, unit, rep, value):
    if rep >= 0:
        print(f"sample,{bench},python,{param},{unit},{rep},{value:.6g}", flush=True)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--iters", type=int, default=2000)
    ap.add_argument("--big-iters", type=int, default=50)
    ap.add_argument("--warm-iters", type=int, default=100)
    ap.add_argument("--items", type=int, default=10000)
    ap.add_argument("--n", type=int, default=1000000)
    ap.add_argument("--map-items", type=int, default=2000)
    ap.add_argument("--reps", type=int, default=5)
    ap.add_argument("--warmup", type=int, default=1)
    o = ap.parse_args()
    for rep in range(-o.warmup, o.reps):
        for size, param in ((8, "8B"), (1 << 20, "1MiB")):
            iters = o.iters if size == 8 else o.big_iters
            sample("pipe_rtt", param, "us", rep, pipe_rtt(size, iters, o.warm_iters))
        for side in (1, 3):
            for size, name in ((8, "8B"), (1024, "1KiB")):
                sample("queue", f"{side}x{side}_{name}", "items/s", rep,
                       queue_rate(side, o.items, size))
        with mp.Pool(2) as pool:
            ints = list(range(o.n))
            t0 = time.monotonic()
            out = pool.map(incr, ints)
            sample("map_ints", f"{o.n}_ints", "ms", rep, (time.monotonic() - t0) * 1e3)
            assert out[-1] == o.n
            items = list(range(o.map_items))
            t0 = time.monotonic()
            pool.map(incr, items, chunksize=1)
            sample("map_chunk1", f"{o.map_items}_items", "us/item", rep,
                   (time.monotonic() - t0) / o.map_items * 1e6)
            t0 = time.monotonic()
            rs = [pool.apply_async(incr, (i,)) for i in items]
            assert [r.get() for r in rs][-1] == o.map_items
            sample("apply_async", f"{o.map_items}_items", "calls/s", rep,
                   o.map_items / (time.monotonic() - t0))


if __name__ == "__main__":
    main()
