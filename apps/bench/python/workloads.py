"""Python multiprocessing references for seed 004's workloads, as the
document writes them (standard library only), at a size given on the
command line. Prints `sample,<bench>,python,<param>,<unit>,<rep>,<value>`
lines with per-item rates, so that run_suite.sh can compare them with mpr
at full size (the rates do not depend on the size: per trial for pi, per
number of the range for primes, whose divisions grow with sqrt(n) only).

  pi      pi_estimate.py: Pool(workers).map(calc_point_inside_circle,
          [trials / workers] * workers); trials/s
  primes  prime_search_queues.py: worker Processes fed one number per put
          through manager.Queue()s, one poison pill per worker, one
          WORKER_FINISHED_PROCESSING per worker; numbers/s
"""
import argparse
import math
import multiprocessing
import random
import time
from multiprocessing import Pool

FLAG_ALL_DONE = b"WORK_FINISHED"
FLAG_WORKER_FINISHED_PROCESSING = b"WORKER_FINISHED_PROCESSING"


def calc_point_inside_circle(num_of_estimates):
    trials_inside_circle = 0
    for step in range(int(num_of_estimates)):
        x = random.uniform(0, 1)
        y = random.uniform(0, 1)
        is_inside_circle = 1 if (x**2 + y**2) <= 1 else 0
        trials_inside_circle += is_inside_circle
    return trials_inside_circle


def pi_run(total_trials, num_workers):
    pool = Pool(processes=num_workers)
    trials_per_worker = total_trials / num_workers
    start_time = time.time()
    inside = pool.map(calc_point_inside_circle, [trials_per_worker] * num_workers)
    seconds = time.time() - start_time
    pool.close()
    pool.join()
    assert abs(sum(inside) * 4 / total_trials - math.pi) < 0.05
    return seconds


def check_prime(search_space_queue, verified_primes_queue):
    while True:
        n = search_space_queue.get()
        if n == FLAG_ALL_DONE:
            verified_primes_queue.put(FLAG_WORKER_FINISHED_PROCESSING)
            break
        else:
            if n % 2 == 0:
                continue
            for i in range(3, int(math.sqrt(n)) + 1, 2):
                if n % i == 0:
                    break
            else:
                verified_primes_queue.put(n)


def primes_run(start, count, num_of_workers):
    primes = []
    manager = multiprocessing.Manager()
    search_space_queue = manager.Queue()
    verified_primes_queue = manager.Queue()
    processes = []
    for _ in range(num_of_workers):
        p = multiprocessing.Process(target=check_prime,
                                    args=(search_space_queue, verified_primes_queue))
        processes.append(p)
        p.start()
    t1 = time.time()
    for number in range(start, start + count):
        search_space_queue.put(number)
    for n in range(num_of_workers):
        search_space_queue.put(FLAG_ALL_DONE)
    finished_child_processes = 0
    while True:
        new_result = verified_primes_queue.get()
        if new_result == FLAG_WORKER_FINISHED_PROCESSING:
            finished_child_processes += 1
            if finished_child_processes == num_of_workers:
                break
        else:
            primes.append(new_result)
    seconds = time.time() - t1
    for p in processes:
        p.join()
    manager.shutdown()
    return seconds, len(primes)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--pi-trials", type=float, default=2e6)
    ap.add_argument("--primes-from", type=int, default=100_000_000)
    ap.add_argument("--primes-count", type=int, default=10_000)
    ap.add_argument("--reps", type=int, default=3)
    o = ap.parse_args()
    w = o.workers
    for rep in range(o.reps):
        s = pi_run(o.pi_trials, w)
        print(f"sample,pi,python,pool_{w}w,trials/s,{rep},{o.pi_trials / s:.6g}", flush=True)
        s, found = primes_run(o.primes_from, o.primes_count, w)
        print(f"sample,primes,python,queue_{w}w,numbers/s,{rep},{o.primes_count / s:.6g}",
              flush=True)


if __name__ == "__main__":
    main()
