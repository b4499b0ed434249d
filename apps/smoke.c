#include <mpr.h>
#include <stdio.h>
#include <string.h>
static int print_cube(const void *arg, size_t len) { (void)len; int n; memcpy(&n, arg, sizeof n); printf("Cube: %d\n", n*n*n); return 0; }
static int producer(const void *arg, size_t len) { (void)len; mpr_queue q; memcpy(&q, arg, sizeof q);
  for (int i = 0; i < 5; i++) mpr_queue_put_i64(q, i, -1); mpr_queue_put_str(q, "end", -1); return 0; }
static int failing(const void *arg, size_t len) { (void)arg; (void)len; return mpr_raise("bad thing %d", 42); }
int main(int argc, char **argv) {
  if (mpr_init(&argc, &argv)) { fprintf(stderr, "%s\n", mpr_last_error()); return 1; }
  int n = 5; mpr_process *p; mpr_process_new(&p, print_cube, &n, sizeof n);
  if (mpr_process_start(p)) printf("start: %s\n", mpr_last_error());
  mpr_process_join(p, -1); printf("DONE exit=%d rank=%d host=%s\n", mpr_process_exitcode(p), mpr_process_rank(p), mpr_process_host(p));
  mpr_process_free(p);
  mpr_queue q; mpr_queue_new(&q, 0);
  mpr_process_new(&p, producer, &q, sizeof q); mpr_process_start(p);
  for (;;) { char buf[64]; size_t len; int rc = mpr_queue_get(q, buf, sizeof buf, &len, 5);
     if (rc) { printf("get: %s %s\n", mpr_err_name(rc), mpr_last_error()); break; }
     if (len == 8) { long long v; memcpy(&v, buf, 8); printf("%lld\n", v); } else { printf("%s\n", buf); break; } }
  mpr_process_join(p, -1); mpr_process_free(p);
  mpr_process_new(&p, failing, NULL, 0); mpr_process_start(p); mpr_process_join(p, -1);
  printf("exit=%d err=%s\n", mpr_process_exitcode(p), mpr_process_error(p)); mpr_process_free(p);
  size_t len; char b[2]; mpr_queue_put_str(q, "hello", 0); int rc = mpr_queue_get(q, b, 2, &len, 0); printf("%s len=%zu %s\n", mpr_err_name(rc), len, mpr_last_error());
  rc = mpr_queue_get(q, NULL, 0, &len, 0.2); printf("%s\n", mpr_err_name(rc));
  return mpr_finalize();
}
