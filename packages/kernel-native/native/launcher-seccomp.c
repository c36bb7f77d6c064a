/*
 * The launcher's seccomp-bpf filter. Refused calls return an errno (EPERM,
 * or ENOSYS for clone3), never kill: Node then reports an ordinary error.
 *
 *   - processes: clone only with CLONE_THREAD and no namespace flag (threads);
 *     fork, vfork refused; clone3 -> ENOSYS so glibc falls back to clone,
 *     whose flags a filter can read (clone3's live behind a pointer).
 *   - exec: the filter is installed by the launcher before its own exec of
 *     node, so that exec must pass and every later one fail. execve passes
 *     only when its three pointer arguments equal the addresses of three
 *     pages the launcher mapped at independent random addresses (from
 *     getrandom, ~34 bits each) and filled with node's path, argv and envp.
 *     After the exec those pages are gone with the old address space and the
 *     addresses exist nowhere in the new one; a guest would have to guess
 *     about 100 bits at once (one refused call per guess, under its CPU
 *     budget). execveat is always refused. We chose this over installing the
 *     filter after exec from inside Node (addon + SECCOMP_FILTER_FLAG_TSYNC)
 *     because then node would start unfiltered and the wall would depend on
 *     the runtime's JavaScript running first. Landlock (execute right only on
 *     node and its interpreter) is the second lock on the same door.
 *   - sockets: socket() refused unless the plan allows TCP ports, and then
 *     only AF_INET/AF_INET6 SOCK_STREAM with protocol 0 or TCP, because
 *     Landlock's port rules cover TCP only (no UDP, no raw, no netlink, no
 *     pathname AF_UNIX connect, which Landlock does not cover). socketpair
 *     (AF_UNIX) stays: it names nothing outside the process. Node needs no
 *     socket of its own to start: the IPC channel is an inherited fd.
 *   - other processes: kill, tgkill, rt_(tg)sigqueueinfo only to this
 *     process (its pid survives exec); prlimit64 only on itself (Node raises
 *     its own RLIMIT_NOFILE soft limit at start); tkill and pidfds refused.
 *     Siblings run under the same unprivileged uid, so DAC would not stop these.
 *   - kernel attack surface and privilege: the table `denied` below.
 *
 * Syscalls not named here are allowed: this is the list of what the kernel
 * wall takes away from a Node process, while Landlock is the allowlist of
 * what it may reach. Foreign-ABI calls (i386 via int 0x80, x32) are refused.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <linux/sched.h>
#include <netinet/in.h>
#include <stddef.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "launcher.h"

#if defined(__x86_64__)
#define CL_AUDIT_ARCH AUDIT_ARCH_X86_64
#elif defined(__aarch64__)
#define CL_AUDIT_ARCH AUDIT_ARCH_AARCH64
#else
#error "cathedral-launch: seccomp filter written for x86_64 and aarch64 only"
#endif

/* Syscalls newer than Debian's headers: numbers are the same on x86_64 and aarch64. */
#ifndef __NR_fchmodat2
#define __NR_fchmodat2 452
#endif
#ifndef __NR_open_tree_attr
#define __NR_open_tree_attr 467
#endif

#define ERRNO(e) (SECCOMP_RET_ERRNO | ((e) & SECCOMP_RET_DATA))
#define ARG_LO(i) ((uint32_t)offsetof(struct seccomp_data, args[i]))
#define ARG_HI(i) ((uint32_t)offsetof(struct seccomp_data, args[i]) + 4)
#define NR ((uint32_t)offsetof(struct seccomp_data, nr))

/* Refused outright with EPERM. */
static const int denied[] = {
#ifdef __NR_fork
  __NR_fork,
#endif
#ifdef __NR_vfork
  __NR_vfork,
#endif
  __NR_execveat, __NR_ptrace, __NR_process_vm_readv, __NR_process_vm_writev, __NR_process_madvise,
  __NR_kcmp, __NR_pidfd_open, __NR_pidfd_getfd, __NR_pidfd_send_signal, __NR_tkill,
  __NR_io_uring_setup, __NR_io_uring_enter, __NR_io_uring_register,
#ifdef __NR_chmod
  __NR_chmod, __NR_chown, __NR_lchown, __NR_mknod,
#endif
  __NR_fchmod, __NR_fchmodat, __NR_fchmodat2, __NR_fchown, __NR_fchownat, __NR_mknodat,
  /* File times and extended attributes: Landlock has no right for them, and a
   * guest's uid may own host files (utimensat on one was seen to succeed). */
#ifdef __NR_utime
  __NR_utime, __NR_utimes, __NR_futimesat,
#endif
  __NR_utimensat,
  __NR_setxattr, __NR_lsetxattr, __NR_fsetxattr, __NR_removexattr, __NR_lremovexattr, __NR_fremovexattr,
  __NR_mount, __NR_umount2, __NR_pivot_root, __NR_chroot, __NR_move_mount, __NR_open_tree, __NR_open_tree_attr,
  __NR_fsopen, __NR_fsconfig, __NR_fsmount, __NR_fspick, __NR_mount_setattr,
  __NR_unshare, __NR_setns, __NR_bpf, __NR_keyctl, __NR_add_key, __NR_request_key, __NR_perf_event_open,
  __NR_kexec_load, __NR_kexec_file_load, __NR_init_module, __NR_finit_module, __NR_delete_module,
  __NR_reboot, __NR_swapon, __NR_swapoff, __NR_acct, __NR_quotactl, __NR_quotactl_fd, __NR_syslog,
  __NR_settimeofday, __NR_clock_settime, __NR_clock_adjtime, __NR_adjtimex, __NR_sethostname, __NR_setdomainname,
  __NR_personality, __NR_userfaultfd, __NR_name_to_handle_at, __NR_open_by_handle_at, __NR_vhangup,
  __NR_setuid, __NR_setgid, __NR_setreuid, __NR_setregid, __NR_setresuid, __NR_setresgid, __NR_setgroups,
  __NR_setfsuid, __NR_setfsgid, __NR_capset, __NR_fanotify_init,
  __NR_setpriority, __NR_ioprio_set, __NR_sched_setscheduler, __NR_sched_setparam, __NR_sched_setattr,
  __NR_sched_setaffinity, __NR_migrate_pages, __NR_move_pages,
#ifdef __NR_iopl
  __NR_iopl, __NR_ioperm, __NR_uselib, __NR_ustat, __NR_sysfs, __NR_lookup_dcookie,
#endif
};

#define MAX_PROGRAM 512

struct program {
  struct sock_filter code[MAX_PROGRAM];
  size_t len;
};

static size_t emit(struct program *p, uint16_t op, uint32_t k, uint8_t jt, uint8_t jf) {
  if (p->len >= MAX_PROGRAM) launch_fail(EXIT_SECCOMP, "seccomp", "filter longer than %d instructions", MAX_PROGRAM);
  p->code[p->len] = (struct sock_filter)BPF_JUMP(op, k, jt, jf);
  return p->len++;
}

static void load(struct program *p, uint32_t offset) { emit(p, BPF_LD | BPF_W | BPF_ABS, offset, 0, 0); }
static void ret(struct program *p, uint32_t action) { emit(p, BPF_RET | BPF_K, action, 0, 0); }

/* Sets the false branch of the jump at `at` to land on instruction `target`. */
static void land_false(struct program *p, size_t at, size_t target) {
  size_t distance = target - at - 1;
  if (distance > 255) launch_fail(EXIT_SECCOMP, "seccomp", "filter jump too long");
  p->code[at].jf = (uint8_t)distance;
}
static void land_true(struct program *p, size_t at, size_t target) {
  size_t distance = target - at - 1;
  if (distance > 255) launch_fail(EXIT_SECCOMP, "seccomp", "filter jump too long");
  p->code[at].jt = (uint8_t)distance;
}

/* Opens a block for syscall nr: returns the jump to patch past the block. */
static size_t begin(struct program *p, int nr) {
  load(p, NR);
  return emit(p, BPF_JMP | BPF_JEQ | BPF_K, (uint32_t)nr, 0, 0);
}

/* clone: a thread (CLONE_THREAD) in no new namespace, or EPERM. */
static void clone_block(struct program *p) {
  const uint32_t namespaces = CLONE_NEWNS | CLONE_NEWCGROUP | CLONE_NEWUTS | CLONE_NEWIPC | CLONE_NEWUSER |
                              CLONE_NEWPID | CLONE_NEWNET;
  size_t skip = begin(p, __NR_clone);
  load(p, ARG_LO(0)); /* the kernel reads only the low 32 bits of clone's flags */
  size_t thread = emit(p, BPF_JMP | BPF_JSET | BPF_K, CLONE_THREAD, 0, 0);
  size_t ns = emit(p, BPF_JMP | BPF_JSET | BPF_K, namespaces, 0, 0);
  ret(p, SECCOMP_RET_ALLOW);
  size_t deny = p->len;
  ret(p, ERRNO(EPERM));
  land_false(p, thread, deny);
  land_true(p, ns, deny);
  land_false(p, skip, p->len);
}

/* execve: only with the launcher's own three pointers. */
static void execve_block(struct program *p, const struct exec_key *key) {
  const uint64_t values[3] = { key->path, key->argv, key->envp };
  size_t checks[6];
  size_t skip = begin(p, __NR_execve);
  for (int i = 0; i < 3; i++) {
    load(p, ARG_LO(i));
    checks[2 * i] = emit(p, BPF_JMP | BPF_JEQ | BPF_K, (uint32_t)values[i], 0, 0);
    load(p, ARG_HI(i));
    checks[2 * i + 1] = emit(p, BPF_JMP | BPF_JEQ | BPF_K, (uint32_t)(values[i] >> 32), 0, 0);
  }
  ret(p, SECCOMP_RET_ALLOW);
  size_t deny = p->len;
  ret(p, ERRNO(EPERM));
  for (int i = 0; i < 6; i++) land_false(p, checks[i], deny);
  land_false(p, skip, p->len);
}

/* A call whose argument `arg` must name this process (or be 0 when zero_is_self). */
static void self_block(struct program *p, int nr, int arg, pid_t self, int zero_is_self) {
  size_t skip = begin(p, nr);
  load(p, ARG_LO(arg)); /* a pid_t: the kernel reads the low 32 bits */
  size_t is_self = emit(p, BPF_JMP | BPF_JEQ | BPF_K, (uint32_t)self, 0, 0);
  size_t is_zero = zero_is_self ? emit(p, BPF_JMP | BPF_JEQ | BPF_K, 0, 0, 0) : 0;
  ret(p, ERRNO(EPERM));
  size_t allow = p->len;
  ret(p, SECCOMP_RET_ALLOW);
  land_true(p, is_self, allow);
  if (zero_is_self) land_true(p, is_zero, allow);
  land_false(p, skip, p->len);
}

/* socket: TCP over IPv4/IPv6 when the plan allows ports, else nothing. */
static void socket_block(struct program *p, int tcp) {
  size_t skip = begin(p, __NR_socket);
  if (tcp) {
    load(p, ARG_LO(0));
    size_t v4 = emit(p, BPF_JMP | BPF_JEQ | BPF_K, AF_INET, 0, 0);
    size_t v6 = emit(p, BPF_JMP | BPF_JEQ | BPF_K, AF_INET6, 0, 0);
    size_t to_deny_family = emit(p, BPF_JMP | BPF_JA, 0, 0, 0);
    size_t type_at = p->len;
    load(p, ARG_LO(1));
    emit(p, BPF_ALU | BPF_AND | BPF_K, 0xf, 0, 0); /* SOCK_TYPE_MASK: drop NONBLOCK/CLOEXEC */
    size_t stream = emit(p, BPF_JMP | BPF_JEQ | BPF_K, SOCK_STREAM, 0, 0);
    load(p, ARG_LO(2));
    size_t proto0 = emit(p, BPF_JMP | BPF_JEQ | BPF_K, 0, 0, 0);
    size_t tcp_proto = emit(p, BPF_JMP | BPF_JEQ | BPF_K, IPPROTO_TCP, 0, 0);
    size_t deny = p->len;
    ret(p, ERRNO(EPERM));
    size_t allow = p->len;
    ret(p, SECCOMP_RET_ALLOW);
    land_true(p, v4, type_at);
    land_true(p, v6, type_at);
    land_false(p, v6, to_deny_family + 0); /* falls to the JA */
    p->code[to_deny_family].k = (uint32_t)(deny - to_deny_family - 1);
    land_false(p, stream, deny);
    land_true(p, proto0, allow);
    land_true(p, tcp_proto, allow);
    land_false(p, tcp_proto, deny);
  } else {
    ret(p, ERRNO(EPERM));
  }
  land_false(p, skip, p->len);
}

/* socketpair: AF_UNIX only. */
static void socketpair_block(struct program *p) {
  size_t skip = begin(p, __NR_socketpair);
  load(p, ARG_LO(0));
  size_t is_unix = emit(p, BPF_JMP | BPF_JEQ | BPF_K, AF_UNIX, 0, 0);
  ret(p, ERRNO(EPERM));
  size_t allow = p->len;
  ret(p, SECCOMP_RET_ALLOW);
  land_true(p, is_unix, allow);
  land_false(p, skip, p->len);
}

void apply_seccomp(const struct launch_plan *plan, const struct exec_key *key, pid_t self) {
  static struct program p; /* static: 4 KiB is not for the stack */
  p.len = 0;
  /* A foreign ABI has other syscall numbers: refuse all of it. */
  load(&p, (uint32_t)offsetof(struct seccomp_data, arch));
  emit(&p, BPF_JMP | BPF_JEQ | BPF_K, CL_AUDIT_ARCH, 1, 0);
  ret(&p, ERRNO(EPERM));
#if defined(__x86_64__)
  load(&p, NR);
  emit(&p, BPF_JMP | BPF_JGE | BPF_K, 0x40000000U /* __X32_SYSCALL_BIT */, 0, 1);
  ret(&p, ERRNO(EPERM));
#endif
  clone_block(&p);
  execve_block(&p, key);
  socket_block(&p, plan->nconnect > 0 || plan->nbind > 0);
  socketpair_block(&p);
  self_block(&p, __NR_kill, 0, self, 0);
  self_block(&p, __NR_tgkill, 0, self, 0);
  self_block(&p, __NR_rt_sigqueueinfo, 0, self, 0);
  self_block(&p, __NR_rt_tgsigqueueinfo, 0, self, 0);
  self_block(&p, __NR_prlimit64, 0, self, 1);
  load(&p, NR);
  emit(&p, BPF_JMP | BPF_JEQ | BPF_K, __NR_clone3, 0, 1);
  ret(&p, ERRNO(ENOSYS));
  for (size_t i = 0; i < sizeof denied / sizeof denied[0]; i++) {
    emit(&p, BPF_JMP | BPF_JEQ | BPF_K, (uint32_t)denied[i], 0, 1);
    ret(&p, ERRNO(EPERM));
  }
  ret(&p, SECCOMP_RET_ALLOW);

  struct sock_fprog prog = { .len = (unsigned short)p.len, .filter = p.code };
  if (syscall(__NR_seccomp, SECCOMP_SET_MODE_FILTER, 0, &prog) != 0) {
    launch_fail(EXIT_SECCOMP, "seccomp", "cannot install the filter: %s", strerror(errno));
  }
}
