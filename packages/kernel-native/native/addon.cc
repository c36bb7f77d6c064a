// @cathedral/kernel-native addon: what the host kernel asks of Linux that
// Node does not expose. N-API only (node-addon-api, NAPI_VERSION 8, no C++
// exceptions), so one build survives Node upgrades.
//
// This file: probes of the machine (Landlock ABI, seccomp, openat2, root,
// no_new_privs) and CPU clocks of a thread of this process (by tid) and of a
// child process (by pid). The watchdog is in addon-watchdog.cc, openat2 and
// readBeneath in addon-openat2.cc.
//
// Deliberately not here: applying Landlock or seccomp to this process. Landlock
// applied from inside Node covers only the calling thread, so confinement is
// the launcher's job (launcher.c), before exec.
#include <napi.h>

#include <cerrno>
#include <cstring>
#include <ctime>
#include <fcntl.h>
#include <linux/seccomp.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "addon-common.h"

namespace kn {

// Debian's <linux/landlock.h> knows only ABI 2: declare what this needs.
#ifndef SYS_landlock_create_ruleset
#define SYS_landlock_create_ruleset 444
#endif
#ifndef SYS_openat2
#define SYS_openat2 437
#endif
#ifndef SYS_seccomp
#define SYS_seccomp 317
#endif
constexpr unsigned kLandlockCreateRulesetVersion = 1U << 0;
#ifndef SECCOMP_GET_ACTION_AVAIL
#define SECCOMP_GET_ACTION_AVAIL 2
#endif
#ifndef SECCOMP_RET_KILL_PROCESS
#define SECCOMP_RET_KILL_PROCESS 0x80000000U
#endif

const char* ErrnoName(int err) {
  const char* name = strerrorname_np(err);
  return name != nullptr ? name : "EUNKNOWN";
}

Napi::Value ErrnoValue(Napi::Env env, int err) { return Napi::String::New(env, ErrnoName(err)); }

bool ArgInt(const Napi::CallbackInfo& info, size_t i, int64_t min, int64_t max, int64_t* out) {
  if (info.Length() <= i || !info[i].IsNumber()) return false;
  double d = info[i].As<Napi::Number>().DoubleValue();
  if (!(d >= static_cast<double>(min) && d <= static_cast<double>(max)) || d != static_cast<double>(static_cast<int64_t>(d))) return false;
  *out = static_cast<int64_t>(d);
  return true;
}

Napi::Value ThrowType(Napi::Env env, const char* message) {
  Napi::TypeError::New(env, message).ThrowAsJavaScriptException();
  return env.Undefined();
}

// The kernel's encoding of CPU clocks (include/linux/posix-timers.h):
// MAKE_PROCESS_CPUCLOCK(pid, CPUCLOCK_SCHED) = (~pid << 3) | 2 and
// MAKE_THREAD_CPUCLOCK(tid, CPUCLOCK_SCHED) = (~tid << 3) | 4 | 2, the same
// formula glibc's pthread_getcpuclockid uses. A thread clock works for any
// thread of this process, named by the tid a worker reports.
clockid_t ThreadClock(pid_t tid) { return static_cast<clockid_t>((~static_cast<unsigned>(tid) << 3) | 4U | 2U); }

int ReadClock(clockid_t clock, int64_t* ns) {
  struct timespec ts;
  if (clock_gettime(clock, &ts) != 0) return errno;
  *ns = static_cast<int64_t>(ts.tv_sec) * 1000000000LL + ts.tv_nsec;
  return 0;
}

int ProcessClock(pid_t pid, clockid_t* clock) { return clock_getcpuclockid(pid, clock); }

}  // namespace kn

using namespace kn;

namespace {

// { abi, error }: abi 0 with the errno name when Landlock is absent or disabled.
Napi::Value ProbeLandlock(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  Napi::Object out = Napi::Object::New(env);
  long abi = syscall(SYS_landlock_create_ruleset, nullptr, 0, kLandlockCreateRulesetVersion);
  out.Set("abi", Napi::Number::New(env, abi < 0 ? 0 : static_cast<double>(abi)));
  out.Set("error", abi < 0 ? ErrnoValue(env, errno) : env.Null());
  return out;
}

// { mode, filter, error }: the current mode of this thread (0 none, 1 strict,
// 2 filter) and whether filters that kill the process can be installed.
Napi::Value ProbeSeccomp(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  Napi::Object out = Napi::Object::New(env);
  int mode = prctl(PR_GET_SECCOMP, 0, 0, 0, 0);
  int modeErr = mode < 0 ? errno : 0;
  unsigned action = SECCOMP_RET_KILL_PROCESS;
  long avail = syscall(SYS_seccomp, SECCOMP_GET_ACTION_AVAIL, 0, &action);
  int availErr = avail < 0 ? errno : 0;
  out.Set("mode", Napi::Number::New(env, mode < 0 ? -1 : mode));
  out.Set("filter", Napi::Boolean::New(env, avail == 0));
  out.Set("error", modeErr != 0 ? ErrnoValue(env, modeErr) : availErr != 0 ? ErrnoValue(env, availErr) : env.Null());
  return out;
}

// { available, error }: opens "/" with O_PATH through openat2.
Napi::Value ProbeOpenat2(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  Napi::Object out = Napi::Object::New(env);
  OpenHow how{};
  how.flags = O_PATH | O_DIRECTORY | O_CLOEXEC;
  how.resolve = kResolveNoMagiclinks;
  long fd = syscall(SYS_openat2, AT_FDCWD, "/", &how, sizeof how);
  int err = fd < 0 ? errno : 0;
  if (fd >= 0) close(static_cast<int>(fd));
  out.Set("available", Napi::Boolean::New(env, fd >= 0));
  out.Set("error", fd < 0 ? ErrnoValue(env, err) : env.Null());
  return out;
}

Napi::Value ProbeIdentity(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  Napi::Object out = Napi::Object::New(env);
  out.Set("euid", Napi::Number::New(env, geteuid()));
  out.Set("uid", Napi::Number::New(env, getuid()));
  int nnp = prctl(PR_GET_NO_NEW_PRIVS, 0, 0, 0, 0);
  out.Set("noNewPrivs", Napi::Number::New(env, nnp));
  out.Set("tid", Napi::Number::New(env, static_cast<double>(syscall(SYS_gettid))));
  out.Set("pid", Napi::Number::New(env, getpid()));
  return out;
}

// The tid of the calling thread: a worker calls it and reports it to the host.
Napi::Value CurrentTid(const Napi::CallbackInfo& info) {
  return Napi::Number::New(info.Env(), static_cast<double>(syscall(SYS_gettid)));
}

// CPU time in ns of thread `tid` of this process, or an errno name.
Napi::Value ThreadCpuNs(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  int64_t tid;
  if (!ArgInt(info, 0, 1, 0x3fffffff, &tid)) return ThrowType(env, "threadCpuNs(tid): tid must be a positive integer");
  int64_t ns = 0;
  int err = ReadClock(ThreadClock(static_cast<pid_t>(tid)), &ns);
  return err != 0 ? ErrnoValue(env, err) : Napi::Number::New(env, static_cast<double>(ns));
}

// CPU time in ns of process `pid` (all its threads), or an errno name.
Napi::Value ProcessCpuNs(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  int64_t pid;
  if (!ArgInt(info, 0, 1, 0x3fffffff, &pid)) return ThrowType(env, "processCpuNs(pid): pid must be a positive integer");
  clockid_t clock;
  int err = ProcessClock(static_cast<pid_t>(pid), &clock);
  int64_t ns = 0;
  if (err == 0) err = ReadClock(clock, &ns);
  return err != 0 ? ErrnoValue(env, err) : Napi::Number::New(env, static_cast<double>(ns));
}

Napi::Object Init(Napi::Env env, Napi::Object exports) {
  exports.Set("probeLandlock", Napi::Function::New(env, ProbeLandlock, "probeLandlock"));
  exports.Set("probeSeccomp", Napi::Function::New(env, ProbeSeccomp, "probeSeccomp"));
  exports.Set("probeOpenat2", Napi::Function::New(env, ProbeOpenat2, "probeOpenat2"));
  exports.Set("probeIdentity", Napi::Function::New(env, ProbeIdentity, "probeIdentity"));
  exports.Set("currentTid", Napi::Function::New(env, CurrentTid, "currentTid"));
  exports.Set("threadCpuNs", Napi::Function::New(env, ThreadCpuNs, "threadCpuNs"));
  exports.Set("processCpuNs", Napi::Function::New(env, ProcessCpuNs, "processCpuNs"));
  InitWatchdog(env, exports);
  InitOpenat2(env, exports);
  return exports;
}

}  // namespace

NODE_API_MODULE(kernel_native, Init)
