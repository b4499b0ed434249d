/* ping.c and pong.c call each other: the dependency cycle that
 * layers.check_detects_cycle expects check_layers.sh to reject. */
int pong(int n);
int ping(int n) { return n > 0 ? pong(n - 1) : 0; }
