/*
 * `cathedral-launch --probe`: one JSON line saying what this machine and the
 * probing process's own confinement allow. It reports the Landlock ABI, the
 * seccomp mode and no_new_privs of the probing process, and the result
 * (`ok` or the errno name) of attempting each call the kernel wall refuses.
 *
 * Run directly it describes the machine (for doctor). Run as the target of a
 * launcher (`cathedral-launch <plan> -- cathedral-launch --probe`) it shows
 * what that plan refuses, for calls Node offers no way to make (io_uring,
 * ptrace, mount, unshare, bpf...). Each attempt is harmless when it is not
 * refused: its arguments are invalid or name nothing, or it creates a
 * throw-away thread, socket or child that is closed or reaped at once.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/ptrace.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <unistd.h>

#include "launcher.h"

#define MISSING "/nonexistent-cathedral-probe"

static const char *result(long rc) {
  if (rc >= 0) return "ok";
  const char *name = strerrorname_np(errno);
  return name == NULL ? "unknown" : name;
}

static void *idle(void *arg) { return arg; }

static long try_thread(void) {
  pthread_t t;
  int rc = pthread_create(&t, NULL, idle, NULL);
  if (rc != 0) {
    errno = rc;
    return -1;
  }
  return pthread_join(t, NULL) == 0 ? 0 : -1;
}

static long try_fork(void) {
  pid_t pid = fork();
  if (pid == 0) _exit(0);
  if (pid < 0) return -1;
  int status;
  return waitpid(pid, &status, 0) < 0 ? -1 : 0;
}

static long try_socket(int domain, int type) {
  int fd = socket(domain, type | SOCK_CLOEXEC, 0);
  if (fd >= 0) close(fd);
  return fd;
}

static long try_execve(void) {
  char *argv[] = { MISSING, NULL };
  char *envp[] = { NULL };
  return execve(MISSING, argv, envp);
}

static long try_open(const char *path) {
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd >= 0) close(fd);
  return fd;
}

static int seccomp_mode(void) {
  FILE *f = fopen("/proc/self/status", "re");
  if (f == NULL) return -1;
  char line[256];
  int mode = -1;
  while (fgets(line, sizeof line, f) != NULL) {
    if (strncmp(line, "Seccomp:", 8) == 0) mode = atoi(line + 8);
  }
  fclose(f);
  return mode;
}

static void report(int *first, const char *name, long rc) {
  printf("%s\"%s\":\"%s\"", *first ? "" : ",", name, result(rc));
  *first = 0;
}

static long try_ptrace(pid_t pid) {
  errno = 0;
  long word = ptrace(PTRACE_PEEKUSER, pid, NULL, NULL);
  return word == -1 && errno != 0 ? -1 : 0;
}

/* Each call's errno is read right after it: the calls run in this order. */
#define TRY(name, expr)          \
  do {                           \
    errno = 0;                   \
    long rc_ = (expr);           \
    report(&first, (name), rc_); \
  } while (0)

void run_probe(void) {
  pid_t parent = getppid();
  int first = 1;
  printf("{\"landlockAbi\":%d,\"seccomp\":%d,\"noNewPrivs\":%d,\"uid\":%u,\"calls\":{", landlock_abi(),
         seccomp_mode(), prctl(PR_GET_NO_NEW_PRIVS, 0, 0, 0, 0), (unsigned)getuid());
  TRY("thread", try_thread());
  TRY("fork", try_fork());
  TRY("clone3", syscall(SYS_clone3, NULL, 0));
  TRY("execve", try_execve());
  TRY("execveat", syscall(SYS_execveat, AT_FDCWD, MISSING, NULL, NULL, 0));
  TRY("ptrace", try_ptrace(parent));
  TRY("process_vm_readv", process_vm_readv(parent, NULL, 0, NULL, 0, 0));
  TRY("io_uring_setup", syscall(SYS_io_uring_setup, 0, NULL));
  TRY("unshare", unshare(0));
  TRY("setns", setns(-1, 0));
  TRY("mount", mount("none", MISSING, "tmpfs", 0, NULL));
  TRY("chmod", chmod(MISSING, 0));
  TRY("utimensat", (int)syscall(__NR_utimensat, AT_FDCWD, MISSING, NULL, 0));
  TRY("setxattr", (int)syscall(__NR_setxattr, MISSING, "user.x", "x", 1, 0));
  TRY("chown", chown(MISSING, 0, 0));
  TRY("bpf", syscall(SYS_bpf, -1, NULL, 0));
  TRY("keyctl", syscall(SYS_keyctl, -1, 0, 0, 0, 0));
  TRY("perf_event_open", syscall(SYS_perf_event_open, NULL, 0, -1, -1, 0));
  TRY("kill_parent", kill(parent, 0));
  TRY("socket_tcp", try_socket(AF_INET, SOCK_STREAM));
  TRY("socket_udp", try_socket(AF_INET, SOCK_DGRAM));
  TRY("socket_unix", try_socket(AF_UNIX, SOCK_STREAM));
  TRY("open_etc_passwd", try_open("/etc/passwd"));
  printf("}}\n");
  exit(fflush(stdout) == 0 ? 0 : 1);
}
