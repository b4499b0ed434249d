/*
 * pipe_demos — the Pipe examples of seeds 000, 001 and 003, one per demo.
 *
 *   messages         seed 000: send_msg sends "hello", "hi", "heya!" and
 *                    "END"; recv_msg prints until "END"      (mpirun -n 3)
 *   sender_receiver  seed 001: msg_sender sleeps, sends and prints
 *                    "Sender : <msg>"; msg_receiver prints "Received : <msg>"
 *                    until 'Bye'                             (mpirun -n 3)
 *   hello            seed 003: f(conn) sends ['hello world']; the parent
 *                    prints what it receives                 (mpirun -n 2)
 *
 * parent_conn, child_conn = Pipe(): both ends are plain values, copied into
 * the targets' arguments as Python pickles a Connection to the child.
 * A Python list of strings travels as one message (app_strlist_pack).
 */
#include "app.h"

#include <string.h>

/* Every end the demos leave open is closed by the parent at the end. */
static int close_end(mpr_conn c)
{
    int rc = mpr_conn_close(c);
    return rc == MPR_OK ? APP_EXIT_OK : app_fail("conn.close", rc);
}

/* The arguments of both demos with a sender and a receiver: each target
 * uses its own end, as p1 gets parent_conn and p2 child_conn. */
typedef struct {
    mpr_conn send_end, recv_end;
    char msgs[128]; /* packed list of strings */
    size_t msgs_len;
    double sleep;
} pair_args;

/* Sends every message of the list, with a sleep before each and, if
 * `echo`, a "Sender : <msg>" line after; then closes the end. */
static int send_all(const pair_args *a, int echo)
{
    char buf[sizeof a->msgs];
    const char *msgs[8];
    memcpy(buf, a->msgs, sizeof buf);
    size_t n = app_strlist_unpack(buf, a->msgs_len, msgs, 8);
    for (size_t i = 0; i < n; i++) {
        app_sleep(a->sleep);
        int rc = mpr_conn_send_str(a->send_end, msgs[i]);
        if (rc != MPR_OK)
            return app_raise("conn.send", rc);
        if (echo)
            printf("Sender : %s\n", msgs[i]);
    }
    int rc = mpr_conn_close(a->send_end);
    return rc == MPR_OK ? 0 : app_raise("conn.close", rc);
}

/* Receives and prints messages, after prefix, until the message stop,
 * which recv_msg leaves out and msg_receiver prints (print_stop). */
static int recv_until(mpr_conn conn, const char *stop, const char *prefix, int print_stop)
{
    for (;;) {
        char msg[64];
        int rc = mpr_conn_recv_str(conn, msg, sizeof msg, -1);
        if (rc != MPR_OK)
            return app_raise("conn.recv", rc);
        int last = strcmp(msg, stop) == 0;
        if (!last || print_stop)
            printf("%s%s\n", prefix, msg);
        if (last)
            return 0;
    }
}

/* parent_conn, child_conn = Pipe(); p1 = Process(target=sender, args=
 * (parent_conn, msgs)); p2 = Process(target=receiver, args=(child_conn,));
 * start both, join both. */
static int pair_demo(mpr_target sender, mpr_target receiver, const char *const *msgs, size_t n,
                     double sleep)
{
    pair_args args = {.sleep = sleep};
    args.msgs_len = app_strlist_pack(args.msgs, sizeof args.msgs, msgs, n);
    if (args.msgs_len == 0) {
        app_error("the messages do not fit in %zu bytes", sizeof args.msgs);
        return APP_EXIT_FAIL;
    }
    int rc = mpr_pipe_new(&args.send_end, &args.recv_end, 1);
    if (rc != MPR_OK)
        return app_fail("Pipe()", rc);

    rc = app_start_join((mpr_target[]){sender, receiver}, 2, &args, sizeof args);
    int closed = close_end(args.recv_end);
    return rc != APP_EXIT_OK ? rc : closed;
}

/* --------------------------------------------------------------- messages */

static int send_msg(const void *arg, size_t len)
{
    pair_args a;
    if (app_unpack(&a, sizeof a, arg, len))
        return 1;
    return send_all(&a, 0);
}

static int recv_msg(const void *arg, size_t len)
{
    pair_args a;
    if (app_unpack(&a, sizeof a, arg, len))
        return 1;
    return recv_until(a.recv_end, "END", "", 0);
}

static int messages(void)
{
    const char *msgs[] = {"hello", "hi", "heya!", "END"};
    return pair_demo(send_msg, recv_msg, msgs, 4, 0);
}

/* -------------------------------------------------------- sender_receiver */

static int msg_sender(const void *arg, size_t len)
{
    pair_args a;
    if (app_unpack(&a, sizeof a, arg, len))
        return 1;
    return send_all(&a, 1);
}

static int msg_receiver(const void *arg, size_t len)
{
    pair_args a;
    if (app_unpack(&a, sizeof a, arg, len))
        return 1;
    return recv_until(a.recv_end, "Bye", "Received : ", 1);
}

static int sender_receiver(double sleep)
{
    const char *data[] = {"Hello", "How are You", "Good, Thanks", "Bye"};
    return pair_demo(msg_sender, msg_receiver, data, 4, sleep);
}

/* ------------------------------------------------------------------ hello */

static int f(const void *arg, size_t len)
{
    mpr_conn conn;
    if (app_unpack(&conn, sizeof conn, arg, len))
        return 1;
    const char *list[] = {"hello world"};
    char msg[64];
    size_t n = app_strlist_pack(msg, sizeof msg, list, 1);
    int rc = mpr_conn_send(conn, msg, n);
    if (rc == MPR_OK)
        rc = mpr_conn_close(conn);
    return rc == MPR_OK ? 0 : app_raise("conn.send", rc);
}

static int hello(void)
{
    mpr_conn parent_conn, child_conn;
    int rc = mpr_pipe_new(&parent_conn, &child_conn, 1);
    if (rc != MPR_OK)
        return app_fail("Pipe()", rc);
    mpr_process *p = NULL;
    if ((rc = app_start(&p, NULL, f, &child_conn, sizeof child_conn)) != APP_EXIT_OK)
        return rc;

    /* print(parent_conn.recv()) */
    char msg[64];
    size_t len;
    const char *list[8];
    rc = mpr_conn_recv(parent_conn, msg, sizeof msg, &len, -1);
    size_t n = rc == MPR_OK ? app_strlist_unpack(msg, len, list, 8) : 0;
    if (n > 0)
        app_print_str_list(list, n);
    else if (rc == MPR_OK)
        app_error("parent_conn.recv: %zu bytes are not a list of strings", len);
    else
        app_fail("parent_conn.recv", rc);

    int joined = app_join_all(&p, 1);
    int closed = close_end(parent_conn);
    if (n == 0 || joined != APP_EXIT_OK)
        return APP_EXIT_FAIL;
    return closed;
}

/* ------------------------------------------------------------------- main */

enum { MESSAGES, SENDER_RECEIVER, HELLO };

static int run(size_t demo, double sleep)
{
    switch (demo) {
    case MESSAGES:
        return messages();
    case SENDER_RECEIVER:
        return sender_receiver(sleep);
    default:
        return hello();
    }
}

int main(int argc, char **argv)
{
    double sleep = 0.1;
    app_opt opts[] = {
        {"--sleep", "SECONDS", "sender_receiver: time.sleep before each send", APP_OPT_DOUBLE,
         &sleep, 0, 60},
    };
    const app_cmd cmds[] = {
        [MESSAGES] = {"messages", "seed 000: send_msg/recv_msg until \"END\" (mpirun -n 3)"},
        [SENDER_RECEIVER] = {"sender_receiver", "seed 001: msg_sender/msg_receiver (-n 3)"},
        [HELLO] = {"hello", "seed 003: f(conn) sends ['hello world'] (mpirun -n 2)"},
    };
    app_cli cli = {.summary = "Pipe examples of seeds 000, 001 and 003.",
                   .opts = opts,
                   .nopts = APP_LEN(opts),
                   .cmds = cmds,
                   .ncmds = APP_LEN(cmds)};
    int rc = app_init(&argc, &argv, &cli);
    if (rc == APP_RUN)
        rc = run(cli.cmd, sleep);
    return app_exit(rc);
}
