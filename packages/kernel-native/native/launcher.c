/*
 * cathedral-launch: the execPath of a process-tier realm's child. It raises
 * the kernel wall around one Node process, then execs node:
 *
 *   cathedral-launch [options] -- /path/to/node [node args] module [args]
 *
 * (child_process.fork appends the module and its args after execArgv, so
 * the runtime passes `execArgv: [...launcherArgs(plan), '--', node, ...]`.)
 * Steps, in order, each fatal with its own exit code and a one-line message
 * naming it; nothing is exec'd unconfined:
 *
 *   1. options   every rule comes from the command line (src/plan.ts derives
 *                them from the realm's effect ceiling and budget);
 *   2. cgroup    writes our pid into each --cgroup dir's cgroup.procs (made
 *                and limited by the host), before exec so V8 sizes its heap
 *                from the memory limit;
 *   3. rlimit    each --rlimit. CPU backstop: RLIMIT_CPU, whose hard limit
 *                (SIGKILL) an unprivileged process cannot raise. ITIMER_PROF
 *                also survives exec, but SIGPROF can be caught or ignored and
 *                the timer re-armed by the guest, so it is not used;
 *   4. fds       every fd but 0-2, NODE_CHANNEL_FD and --keep-fd is marked
 *                close-on-exec; the parent-death signal is set (SIGKILL,
 *                unless --no-die-with-parent) after the uid change, which
 *                would clear it;
 *   5. uid       as root: drop supplementary groups and become --uid/--gid
 *                (default 65534), then check that every --read/--exec path
 *                is still readable (executable) by that uid. Landlock does
 *                not cover chmod/chown, and root ignores RLIMIT_NPROC;
 *   6. nnp       PR_SET_NO_NEW_PRIVS (needed by Landlock and seccomp);
 *   7. landlock  launcher-landlock.c;
 *   8. env       only NODE_CHANNEL_* and the --env names pass;
 *                UV_USE_IO_URING=0 is set (io_uring is refused anyway);
 *   9. seccomp   launcher-seccomp.c, with the key that lets exactly our
 *                own execve of node through;
 *  10. exec      execve of the path after "--".
 *
 * `--probe` instead prints what the machine and this process allow
 * (launcher-probe.c). This program never links anything but libc.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <limits.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/random.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "launcher.h"

#define NOBODY 65534
#define PAGE 4096

extern char **environ;

void launch_fail(int code, const char *step, const char *fmt, ...) {
  char message[512];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(message, sizeof message, fmt, ap);
  va_end(ap);
  /* One line: a newline inside a path must not start a second one. */
  for (char *c = message; *c != '\0'; c++) {
    if (*c == '\n' || *c == '\r') *c = ' ';
  }
  dprintf(STDERR_FILENO, "cathedral-launch: %s: %s\n", step, message);
  _exit(code);
}

/* ---- 1. options ---- */

#define usage(...) launch_fail(EXIT_USAGE, "usage", __VA_ARGS__)

static unsigned long long number(const char *option, const char *text, unsigned long long max) {
  if (text[0] < '0' || text[0] > '9') usage("%s: \"%s\" is not a decimal number", option, text);
  errno = 0;
  char *end;
  unsigned long long value = strtoull(text, &end, 10);
  if (errno != 0 || *end != '\0' || value > max) usage("%s: \"%s\" is not a number from 0 to %llu", option, text, max);
  return value;
}

static const char *path_option(const char *option, const char *path) {
  if (path[0] != '/') usage("%s: \"%s\" is not an absolute path", option, path);
  if (strlen(path) >= PATH_MAX) usage("%s: path longer than %d bytes", option, PATH_MAX);
  return path;
}

static const struct {
  const char *name;
  int resource;
} rlimit_names[] = {
  { "cpu", RLIMIT_CPU },       { "core", RLIMIT_CORE },         { "data", RLIMIT_DATA },
  { "as", RLIMIT_AS },         { "fsize", RLIMIT_FSIZE },       { "nofile", RLIMIT_NOFILE },
  { "nproc", RLIMIT_NPROC },   { "memlock", RLIMIT_MEMLOCK },   { "msgqueue", RLIMIT_MSGQUEUE },
  { "stack", RLIMIT_STACK },   { "sigpending", RLIMIT_SIGPENDING }, { "nice", RLIMIT_NICE },
  { "rtprio", RLIMIT_RTPRIO }, { "rttime", RLIMIT_RTTIME },
};

static rlim_t limit_value(const char *text) {
  if (strcmp(text, "unlimited") == 0) return RLIM_INFINITY;
  return (rlim_t)number("--rlimit", text, (unsigned long long)RLIM_INFINITY - 1);
}

/* NAME=SOFT[:HARD], values decimal or "unlimited"; HARD defaults to SOFT. */
static void parse_rlimit(struct launch_plan *plan, const char *spec) {
  if (plan->nrlimits >= MAX_RLIMITS) usage("--rlimit: more than %d given", MAX_RLIMITS);
  char copy[128];
  if (strlen(spec) >= sizeof copy) usage("--rlimit: \"%.40s...\" is too long", spec);
  strcpy(copy, spec);
  char *eq = strchr(copy, '=');
  if (eq == NULL) usage("--rlimit: \"%s\" is not NAME=SOFT[:HARD]", spec);
  *eq = '\0';
  char *soft = eq + 1, *colon = strchr(soft, ':');
  if (colon != NULL) *colon = '\0';
  struct launch_rlimit *r = &plan->rlimits[plan->nrlimits];
  r->name = NULL;
  for (size_t i = 0; i < sizeof rlimit_names / sizeof rlimit_names[0]; i++) {
    if (strcmp(copy, rlimit_names[i].name) == 0) {
      r->name = rlimit_names[i].name;
      r->resource = rlimit_names[i].resource;
    }
  }
  if (r->name == NULL) usage("--rlimit: unknown resource \"%s\"", copy);
  r->soft = limit_value(soft);
  r->hard = colon == NULL ? r->soft : limit_value(colon + 1);
  if (r->soft > r->hard) usage("--rlimit: %s soft limit above its hard limit", r->name);
  plan->nrlimits++;
}

/* Names that steer the loader, libuv or Node itself never pass, even when asked. */
static int steering_name(const char *name) {
  static const char *const prefixes[] = { "LD_", "NODE_", "UV_", "GLIBC_", "MALLOC_", "OPENSSL_", "GCONV_", "NLSPATH", "LOCPATH" };
  if (strcmp(name, "NODE_ENV") == 0) return 0;
  for (size_t i = 0; i < sizeof prefixes / sizeof prefixes[0]; i++) {
    if (strncmp(name, prefixes[i], strlen(prefixes[i])) == 0) return 1;
  }
  return 0;
}

static const char *env_name(const char *name) {
  size_t n = strlen(name);
  if (n == 0 || n > 128) usage("--env: \"%.40s\" is not a variable name", name);
  for (size_t i = 0; i < n; i++) {
    char c = name[i];
    int ok = c == '_' || (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (i > 0 && c >= '0' && c <= '9');
    if (!ok) usage("--env: \"%s\" is not a variable name", name);
  }
  if (steering_name(name)) usage("--env: %s steers the loader or Node and is never passed", name);
  return name;
}

#define TAKE(array, count, max, value)                                  \
  do {                                                                  \
    if ((count) >= (max)) usage("%s: more than %d given", opt, (max)); \
    (array)[(count)++] = (value);                                       \
  } while (0)

static void parse(int argc, char **argv, struct launch_plan *plan) {
  memset(plan, 0, sizeof *plan);
  plan->uid = NOBODY;
  plan->gid = NOBODY;
  plan->min_abi = 1;
  plan->die_with_parent = 1;
  int i = 1;
  for (; i < argc; i++) {
    const char *opt = argv[i];
    if (strcmp(opt, "--") == 0) break;
    if (strcmp(opt, "--probe") == 0) {
      plan->probe = 1;
      continue;
    }
    if (strcmp(opt, "--no-die-with-parent") == 0) {
      plan->die_with_parent = 0;
      continue;
    }
    if (i + 1 >= argc) usage("%s: missing its value (or unknown option)", opt);
    const char *val = argv[++i];
    if (strcmp(opt, "--cgroup") == 0) TAKE(plan->cgroups, plan->ncgroups, MAX_CGROUPS, path_option(opt, val));
    else if (strcmp(opt, "--rlimit") == 0) parse_rlimit(plan, val);
    else if (strcmp(opt, "--uid") == 0) {
      plan->uid = (uid_t)number(opt, val, 4294967294ULL);
      plan->uid_given = 1;
    } else if (strcmp(opt, "--gid") == 0) {
      plan->gid = (gid_t)number(opt, val, 4294967294ULL);
      plan->gid_given = 1;
    } else if (strcmp(opt, "--exec") == 0) TAKE(plan->exec_paths, plan->nexec, MAX_PATHS, path_option(opt, val));
    else if (strcmp(opt, "--read") == 0) TAKE(plan->read_paths, plan->nread, MAX_PATHS, path_option(opt, val));
    else if (strcmp(opt, "--connect") == 0) TAKE(plan->connect_ports, plan->nconnect, MAX_PORTS, (uint16_t)number(opt, val, 65535));
    else if (strcmp(opt, "--bind") == 0) TAKE(plan->bind_ports, plan->nbind, MAX_PORTS, (uint16_t)number(opt, val, 65535));
    else if (strcmp(opt, "--landlock-min-abi") == 0) plan->min_abi = (int)number(opt, val, 64);
    else if (strcmp(opt, "--env") == 0) TAKE(plan->env_names, plan->nenv, MAX_ENV, env_name(val));
    else if (strcmp(opt, "--keep-fd") == 0) TAKE(plan->keep_fds, plan->nkeep, MAX_KEEP_FDS, (int)number(opt, val, INT_MAX));
    else usage("unknown option \"%s\"", opt);
  }
  if (plan->probe) return;
  if (plan->uid == 0 || plan->gid == 0) usage("--uid/--gid: the child never runs as root (0)");
  if (plan->min_abi < 1) usage("--landlock-min-abi: Landlock is never optional (at least 1)");
  if (i >= argc - 1) usage("nothing to run: give \"-- /path/to/node [args]\"");
  plan->target = &argv[i + 1];
  path_option("the program after --", plan->target[0]);
  if (plan->nexec == 0) usage("no --exec path: node itself must be executable under Landlock");
}

/* ---- 2. cgroup ---- */

static void join_cgroups(const struct launch_plan *plan) {
  char path[PATH_MAX + 32], pid[32];
  int n = snprintf(pid, sizeof pid, "%d\n", (int)getpid());
  for (size_t i = 0; i < plan->ncgroups; i++) {
    if ((size_t)snprintf(path, sizeof path, "%s/cgroup.procs", plan->cgroups[i]) >= sizeof path) {
      launch_fail(EXIT_CGROUP, "cgroup", "path too long: %s", plan->cgroups[i]);
    }
    int fd = open(path, O_WRONLY | O_CLOEXEC);
    if (fd < 0) launch_fail(EXIT_CGROUP, "cgroup", "cannot open %s: %s", path, strerror(errno));
    if (write(fd, pid, (size_t)n) != n) launch_fail(EXIT_CGROUP, "cgroup", "cannot join %s: %s", plan->cgroups[i], strerror(errno));
    if (close(fd) != 0) launch_fail(EXIT_CGROUP, "cgroup", "cannot join %s: %s", plan->cgroups[i], strerror(errno));
  }
}

/* ---- 3. rlimit ---- */

static void set_rlimits(const struct launch_plan *plan) {
  for (size_t i = 0; i < plan->nrlimits; i++) {
    const struct launch_rlimit *r = &plan->rlimits[i];
    struct rlimit value = { .rlim_cur = r->soft, .rlim_max = r->hard };
    if (setrlimit(r->resource, &value) != 0) launch_fail(EXIT_RLIMIT, "rlimit", "cannot set %s: %s", r->name, strerror(errno));
  }
}

/* ---- 4. fds ---- */

static int channel_fd(void) {
  const char *text = getenv("NODE_CHANNEL_FD");
  if (text == NULL) return -1;
  char *end;
  errno = 0;
  long fd = strtol(text, &end, 10);
  if (errno != 0 || *end != '\0' || end == text || fd < 3 || fd > INT_MAX) {
    launch_fail(EXIT_FDS, "fds", "NODE_CHANNEL_FD=\"%.20s\" is not a descriptor", text);
  }
  return (int)fd;
}

static void keep_open(int fd) {
  if (fd < 3) return;
  int flags = fcntl(fd, F_GETFD);
  if (flags < 0) launch_fail(EXIT_FDS, "fds", "descriptor %d to keep is not open: %s", fd, strerror(errno));
  if (fcntl(fd, F_SETFD, flags & ~FD_CLOEXEC) != 0) launch_fail(EXIT_FDS, "fds", "fcntl %d: %s", fd, strerror(errno));
}

static void close_on_exec(const struct launch_plan *plan) {
#ifndef CLOSE_RANGE_CLOEXEC
#define CLOSE_RANGE_CLOEXEC (1U << 2)
#endif
  if (syscall(SYS_close_range, 3U, ~0U, CLOSE_RANGE_CLOEXEC) != 0) {
    launch_fail(EXIT_FDS, "fds", "close_range: %s", strerror(errno));
  }
  keep_open(channel_fd());
  for (size_t i = 0; i < plan->nkeep; i++) keep_open(plan->keep_fds[i]);
}

static void die_with_parent(pid_t parent) {
  if (prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0) != 0) launch_fail(EXIT_FDS, "fds", "PR_SET_PDEATHSIG: %s", strerror(errno));
  if (getppid() != parent) launch_fail(EXIT_FDS, "fds", "the parent exited before the child started");
}

/* ---- 5. uid ---- */

static void drop_uid(const struct launch_plan *plan) {
  if (geteuid() != 0) {
    if ((plan->uid_given && plan->uid != getuid()) || (plan->gid_given && plan->gid != getgid())) {
      launch_fail(EXIT_UID, "uid", "not running as root: cannot become uid %u gid %u", (unsigned)plan->uid, (unsigned)plan->gid);
    }
  } else {
    if (setgroups(0, NULL) != 0) launch_fail(EXIT_UID, "uid", "setgroups: %s", strerror(errno));
    if (setresgid(plan->gid, plan->gid, plan->gid) != 0) launch_fail(EXIT_UID, "uid", "setresgid %u: %s", (unsigned)plan->gid, strerror(errno));
    if (setresuid(plan->uid, plan->uid, plan->uid) != 0) launch_fail(EXIT_UID, "uid", "setresuid %u: %s", (unsigned)plan->uid, strerror(errno));
    uid_t r, e, s;
    if (getresuid(&r, &e, &s) != 0 || r != plan->uid || e != plan->uid || s != plan->uid) {
      launch_fail(EXIT_UID, "uid", "uid did not change to %u", (unsigned)plan->uid);
    }
    if (setuid(0) == 0) launch_fail(EXIT_UID, "uid", "root could be regained after the drop");
  }
  /* access() checks with the real uid, which is now the child's. */
  for (size_t i = 0; i < plan->nexec; i++) {
    if (access(plan->exec_paths[i], R_OK | X_OK) != 0) {
      launch_fail(EXIT_UID, "uid", "%s is not readable and executable by uid %u: %s", plan->exec_paths[i], (unsigned)getuid(), strerror(errno));
    }
  }
  for (size_t i = 0; i < plan->nread; i++) {
    if (access(plan->read_paths[i], R_OK) != 0) {
      launch_fail(EXIT_UID, "uid", "%s is not readable by uid %u: %s", plan->read_paths[i], (unsigned)getuid(), strerror(errno));
    }
  }
}

/* ---- 8. env, and the exec key ---- */

/* A fresh page at a random address: its address is part of the exec key. */
static void *random_page(size_t size) {
  for (int attempt = 0; attempt < 64; attempt++) {
    uint64_t r;
    if (getrandom(&r, sizeof r, 0) != (ssize_t)sizeof r) launch_fail(EXIT_ENV, "env", "getrandom: %s", strerror(errno));
    /* Page-aligned, between 4 GiB and 64 TiB: about 34 random bits (ENOMEM: beyond a smaller address space). */
    uintptr_t addr = (uintptr_t)(((r % ((1ULL << 46) - (1ULL << 32))) + (1ULL << 32)) & ~(uint64_t)(PAGE - 1));
    void *page = mmap((void *)addr, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0);
    if (page == (void *)addr) return page;
    if (page != MAP_FAILED) munmap(page, size);
    else if (errno != EEXIST && errno != ENOMEM) launch_fail(EXIT_ENV, "env", "mmap: %s", strerror(errno));
  }
  launch_fail(EXIT_ENV, "env", "no free random address for the exec key");
}

static size_t round_up(size_t n) { return (n + PAGE - 1) & ~(size_t)(PAGE - 1); }

static int passes(const struct launch_plan *plan, const char *entry) {
  if (strncmp(entry, "NODE_CHANNEL_", 13) == 0) return 1;
  for (size_t i = 0; i < plan->nenv; i++) {
    size_t n = strlen(plan->env_names[i]);
    if (strncmp(entry, plan->env_names[i], n) == 0 && entry[n] == '=') return 1;
  }
  return 0;
}

static void build_exec(const struct launch_plan *plan, struct exec_key *key, char **path, char ***argv, char ***envp) {
  size_t nenv = 0, nargs = 0;
  for (char **e = environ; *e != NULL; e++) nenv++;
  for (char **a = plan->target; *a != NULL; a++) nargs++;
  size_t path_len = strlen(plan->target[0]) + 1;
  *path = random_page(round_up(path_len));
  memcpy(*path, plan->target[0], path_len);
  *argv = random_page(round_up((nargs + 1) * sizeof(char *)));
  for (size_t i = 0; i < nargs; i++) (*argv)[i] = plan->target[i];
  (*argv)[nargs] = NULL;
  *envp = random_page(round_up((nenv + 2) * sizeof(char *)));
  size_t n = 0;
  for (char **e = environ; *e != NULL; e++) {
    if (passes(plan, *e)) (*envp)[n++] = *e;
  }
  (*envp)[n++] = "UV_USE_IO_URING=0";
  (*envp)[n] = NULL;
  key->path = (uint64_t)(uintptr_t)*path;
  key->argv = (uint64_t)(uintptr_t)*argv;
  key->envp = (uint64_t)(uintptr_t)*envp;
}

int main(int argc, char **argv) {
  struct launch_plan plan;
  parse(argc, argv, &plan);
  if (plan.probe) run_probe();
  pid_t parent = getppid();
  join_cgroups(&plan);
  set_rlimits(&plan);
  close_on_exec(&plan);
  drop_uid(&plan);
  if (plan.die_with_parent) die_with_parent(parent);
  if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0) launch_fail(EXIT_NNP, "nnp", "PR_SET_NO_NEW_PRIVS: %s", strerror(errno));
  apply_landlock(&plan);
  struct exec_key key;
  char *path, **args, **envp;
  build_exec(&plan, &key, &path, &args, &envp);
  apply_seccomp(&plan, &key, getpid());
  execve(path, args, envp);
  launch_fail(EXIT_EXEC, "exec", "%s: %s", path, strerror(errno));
}
