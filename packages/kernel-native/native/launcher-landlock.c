/*
 * The launcher's Landlock ruleset: read and execute on the node binary and
 * its ELF interpreter (--exec), read on its libraries and the runtime's own
 * code (--read), read on the process's own /proc/<pid> and on the cgroups it
 * joined (Node reads its memory limit there to size V8's heap), nothing else
 * on the file system; TCP bind/connect only on the listed ports (ABI 4);
 * no signals to, and no abstract unix sockets of, processes outside the
 * domain (ABI 6). Every access right the kernel knows is handled, so what is
 * not granted is denied.
 *
 * Debian's linux/landlock.h stops at ABI 2: the constants of ABI 3 to 7 are
 * declared here with the kernel's values (include/uapi/linux/landlock.h).
 * This file does not decide what to allow: the plan does (src/plan.ts).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/landlock.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "launcher.h"

#ifndef __NR_landlock_create_ruleset
#define __NR_landlock_create_ruleset 444
#define __NR_landlock_add_rule 445
#define __NR_landlock_restrict_self 446
#endif

/* ABI 3 */
#define CL_ACCESS_FS_TRUNCATE (1ULL << 14)
/* ABI 4: TCP ports */
#define CL_RULE_NET_PORT 2
#define CL_ACCESS_NET_BIND_TCP (1ULL << 0)
#define CL_ACCESS_NET_CONNECT_TCP (1ULL << 1)
/* ABI 5 */
#define CL_ACCESS_FS_IOCTL_DEV (1ULL << 15)
/* ABI 6: scopes */
#define CL_SCOPE_ABSTRACT_UNIX_SOCKET (1ULL << 0)
#define CL_SCOPE_SIGNAL (1ULL << 1)
/* ABI 7: audit logging flags of landlock_restrict_self (left at the kernel's defaults) */
#define CL_RESTRICT_SELF_LOG_SAME_EXEC_OFF (1U << 0)
#define CL_RESTRICT_SELF_LOG_NEW_EXEC_ON (1U << 1)
#define CL_RESTRICT_SELF_LOG_SUBDOMAINS_OFF (1U << 2)

/* The ruleset attribute as of ABI 6; older kernels take a prefix of it. */
struct cl_ruleset_attr {
  uint64_t handled_access_fs;
  uint64_t handled_access_net;
  uint64_t scoped;
};

struct cl_net_port_attr {
  uint64_t allowed_access;
  uint64_t port;
};

#define FS_READ_FILE LANDLOCK_ACCESS_FS_READ_FILE
#define FS_READ_DIR LANDLOCK_ACCESS_FS_READ_DIR
#define FS_EXECUTE LANDLOCK_ACCESS_FS_EXECUTE

int landlock_abi(void) {
  long abi = syscall(__NR_landlock_create_ruleset, NULL, 0, LANDLOCK_CREATE_RULESET_VERSION);
  return abi < 0 ? 0 : (int)abi;
}

static uint64_t handled_fs(int abi) {
  uint64_t rights = (LANDLOCK_ACCESS_FS_MAKE_SYM << 1) - 1; /* ABI 1: bits 0 to 12 */
  if (abi >= 2) rights |= LANDLOCK_ACCESS_FS_REFER;
  if (abi >= 3) rights |= CL_ACCESS_FS_TRUNCATE;
  if (abi >= 5) rights |= CL_ACCESS_FS_IOCTL_DEV;
  return rights;
}

/* Adds one path-beneath rule; directories get READ_DIR, files may not. */
static void add_path(int ruleset, const char *path, int exec) {
  int fd = open(path, O_PATH | O_CLOEXEC);
  if (fd < 0) launch_fail(EXIT_LANDLOCK, "landlock", "cannot open %s: %s", path, strerror(errno));
  struct stat st;
  if (fstat(fd, &st) != 0) launch_fail(EXIT_LANDLOCK, "landlock", "cannot stat %s: %s", path, strerror(errno));
  struct landlock_path_beneath_attr rule = {
    .allowed_access = FS_READ_FILE | (exec ? FS_EXECUTE : 0) | (S_ISDIR(st.st_mode) ? FS_READ_DIR : 0),
    .parent_fd = fd,
  };
  if (syscall(__NR_landlock_add_rule, ruleset, LANDLOCK_RULE_PATH_BENEATH, &rule, 0) != 0) {
    launch_fail(EXIT_LANDLOCK, "landlock", "cannot add a rule for %s: %s", path, strerror(errno));
  }
  if (close(fd) != 0) launch_fail(EXIT_LANDLOCK, "landlock", "close %s: %s", path, strerror(errno));
}

static void add_port(int ruleset, uint16_t port, uint64_t access) {
  struct cl_net_port_attr rule = { .allowed_access = access, .port = port };
  if (syscall(__NR_landlock_add_rule, ruleset, CL_RULE_NET_PORT, &rule, 0) != 0) {
    launch_fail(EXIT_LANDLOCK, "landlock", "cannot add a rule for TCP port %u: %s", port, strerror(errno));
  }
}

void apply_landlock(const struct launch_plan *plan) {
  int abi = landlock_abi();
  if (abi < 1) launch_fail(EXIT_LANDLOCK, "landlock", "Landlock is not available on this kernel (needed ABI >= %d)", plan->min_abi);
  if (abi < plan->min_abi) launch_fail(EXIT_LANDLOCK, "landlock", "kernel has ABI %d, the plan needs ABI %d", abi, plan->min_abi);
  if ((plan->nconnect > 0 || plan->nbind > 0) && abi < 4) {
    launch_fail(EXIT_LANDLOCK, "landlock", "TCP port rules need ABI 4, kernel has ABI %d", abi);
  }
  struct cl_ruleset_attr attr = { .handled_access_fs = handled_fs(abi) };
  size_t size = sizeof attr.handled_access_fs;
  if (abi >= 4) {
    attr.handled_access_net = CL_ACCESS_NET_BIND_TCP | CL_ACCESS_NET_CONNECT_TCP;
    size = offsetof(struct cl_ruleset_attr, scoped);
  }
  if (abi >= 6) {
    attr.scoped = CL_SCOPE_ABSTRACT_UNIX_SOCKET | CL_SCOPE_SIGNAL;
    size = sizeof attr;
  }
  long ruleset = syscall(__NR_landlock_create_ruleset, &attr, size, 0);
  if (ruleset < 0) launch_fail(EXIT_LANDLOCK, "landlock", "cannot create a ruleset: %s", strerror(errno));
  int rs = (int)ruleset;
  /* landlock_create_ruleset sets O_CLOEXEC on the ruleset fd itself. */
  for (size_t i = 0; i < plan->nexec; i++) add_path(rs, plan->exec_paths[i], 1);
  for (size_t i = 0; i < plan->nread; i++) add_path(rs, plan->read_paths[i], 0);
  /* /proc/self names /proc/<pid>, which stays this process's across exec. */
  add_path(rs, "/proc/self", 0);
  for (size_t i = 0; i < plan->ncgroups; i++) add_path(rs, plan->cgroups[i], 0);
  for (size_t i = 0; i < plan->nconnect; i++) add_port(rs, plan->connect_ports[i], CL_ACCESS_NET_CONNECT_TCP);
  for (size_t i = 0; i < plan->nbind; i++) add_port(rs, plan->bind_ports[i], CL_ACCESS_NET_BIND_TCP);
  if (syscall(__NR_landlock_restrict_self, rs, 0) != 0) {
    launch_fail(EXIT_LANDLOCK, "landlock", "cannot restrict self: %s", strerror(errno));
  }
  if (close(rs) != 0) launch_fail(EXIT_LANDLOCK, "landlock", "close ruleset: %s", strerror(errno));
}
