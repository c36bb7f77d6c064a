// Shared declarations of the kernel-native addon's translation units.
#pragma once
#include <napi.h>

#include <cstdint>
#include <ctime>
#include <sys/types.h>

namespace kn {

// <linux/openat2.h>, declared here so that older headers build too.
struct OpenHow {
  uint64_t flags;
  uint64_t mode;
  uint64_t resolve;
};
constexpr uint64_t kResolveNoXdev = 0x01;
constexpr uint64_t kResolveNoMagiclinks = 0x02;
constexpr uint64_t kResolveNoSymlinks = 0x04;
constexpr uint64_t kResolveBeneath = 0x08;

const char* ErrnoName(int err);
Napi::Value ErrnoValue(Napi::Env env, int err);
// True when argument i is an integer number in [min, max]; stores it in *out.
bool ArgInt(const Napi::CallbackInfo& info, size_t i, int64_t min, int64_t max, int64_t* out);
Napi::Value ThrowType(Napi::Env env, const char* message);
clockid_t ThreadClock(pid_t tid);
int ProcessClock(pid_t pid, clockid_t* clock);
// 0 and *ns on success, else an errno.
int ReadClock(clockid_t clock, int64_t* ns);

}  // namespace kn

void InitWatchdog(Napi::Env env, Napi::Object exports);
void InitOpenat2(Napi::Env env, Napi::Object exports);
