/*
 * Shared declarations of the launcher (launcher.c): the parsed plan, the
 * exit codes (one per step, mirrored by launcherExitCodes in
 * src/launcher.ts), and the Landlock constants Debian's headers lack.
 */
#ifndef CATHEDRAL_LAUNCHER_H
#define CATHEDRAL_LAUNCHER_H

#include <stddef.h>
#include <stdint.h>
#include <sys/resource.h>
#include <sys/types.h>

/* Exit codes: one per step, so the host can say which wall failed to rise. */
enum launch_exit {
  EXIT_USAGE = 100,     /* bad option: nothing was done */
  EXIT_CGROUP = 101,    /* joining a cgroup */
  EXIT_RLIMIT = 102,    /* setting an rlimit */
  EXIT_FDS = 103,       /* close-on-exec hygiene, parent-death signal */
  EXIT_UID = 104,       /* dropping to the unprivileged uid/gid */
  EXIT_NNP = 105,       /* no_new_privs */
  EXIT_LANDLOCK = 106,  /* the Landlock ruleset */
  EXIT_SECCOMP = 107,   /* the seccomp filter */
  EXIT_ENV = 108,       /* building the scrubbed environment */
  EXIT_EXEC = 109,      /* the exec of node itself */
};

#define MAX_PATHS 256
#define MAX_CGROUPS 16
#define MAX_RLIMITS 16
#define MAX_PORTS 64
#define MAX_ENV 64
#define MAX_KEEP_FDS 16

struct launch_rlimit {
  int resource;
  const char *name;
  rlim_t soft, hard;
};

struct launch_plan {
  const char *cgroups[MAX_CGROUPS];
  size_t ncgroups;
  struct launch_rlimit rlimits[MAX_RLIMITS];
  size_t nrlimits;
  uid_t uid;
  gid_t gid;
  int uid_given, gid_given;
  const char *exec_paths[MAX_PATHS]; /* read + execute: node, its ELF interpreter */
  size_t nexec;
  const char *read_paths[MAX_PATHS]; /* read only: libraries, the runtime's code */
  size_t nread;
  uint16_t connect_ports[MAX_PORTS];
  size_t nconnect;
  uint16_t bind_ports[MAX_PORTS];
  size_t nbind;
  int min_abi;                       /* the lowest Landlock ABI this plan accepts */
  const char *env_names[MAX_ENV];    /* passed through besides NODE_CHANNEL_* */
  size_t nenv;
  int keep_fds[MAX_KEEP_FDS];        /* left open across exec besides 0-2 and the IPC channel */
  size_t nkeep;
  int die_with_parent;
  int probe;
  char **target;                     /* argv after "--": node, its args */
};

/* Prints "cathedral-launch: <step>: <message>" on one line and exits with code. */
__attribute__((noreturn, format(printf, 3, 4)))
void launch_fail(int code, const char *step, const char *fmt, ...);

/* launcher-landlock.c */
int landlock_abi(void);
void apply_landlock(const struct launch_plan *plan);

/* launcher-seccomp.c */
struct exec_key {
  uint64_t path, argv, envp; /* the only execve arguments the filter lets through */
};
void apply_seccomp(const struct launch_plan *plan, const struct exec_key *key, pid_t self);

/* launcher-probe.c */
__attribute__((noreturn)) void run_probe(void);

#endif
