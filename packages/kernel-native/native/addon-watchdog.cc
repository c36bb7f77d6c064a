// The native CPU watchdog: a background thread per watched clock that acts
// the moment the clock passes its limit, without waiting for the host's
// event loop.
//
// watchdogStart(kind, id, limitNs, action, callback) watches the CPU clock of
// thread `id` of this process (kind 'thread', a worker's tid) or of process
// `id` (kind 'process', a child). When the clock reaches limitNs:
// - action 'kill': SIGKILL is sent to the process from the watchdog thread
//   itself (through a pidfd taken at start, so a recycled pid is never hit),
//   then `callback('fired', cpuNs)` is queued to JS;
// - action 'notify': only the callback is queued; the host then terminates
//   the worker (a thread cannot be killed alone).
// `callback('gone', cpuNs)` when the thread or process ended first. Nothing is
// called after watchdogCancel(id). Every thread is joined: on its own event,
// on cancel, and when the addon's environment is torn down.
//
// Sleep: the clock of a process with n threads advances at most n CPUs times
// faster than the wall clock, so the thread sleeps (remaining / CPUs), never
// less than 50 µs, on a ppoll of an eventfd (cancel) and the pidfd (exit).
// Within 10 ms of the limit it polls every 100 µs. The thread asks for
// SCHED_FIFO so that a loaded machine wakes it on time.
//
// Precision: a thread clock of this process is exact (the kernel adds the
// running slice). A clock of *another* process is updated by the kernel only
// at scheduler ticks and context switches (CONFIG_HZ; 4 ms at HZ=250), so a
// spinning child is seen crossing its limit at the first tick past it: the
// CPU it used past the limit is up to one tick, about half a tick on median.
//
// Deliberately not here: deciding limits, or charging time to parents.
#include <napi.h>

#include <atomic>
#include <cerrno>
#include <csignal>
#include <cstdint>
#include <map>
#include <memory>
#include <poll.h>
#include <pthread.h>
#include <sched.h>
#include <string>
#include <sys/eventfd.h>
#include <sys/syscall.h>
#include <thread>
#include <unistd.h>

#include "addon-common.h"

#ifndef SYS_pidfd_open
#define SYS_pidfd_open 434
#endif
#ifndef SYS_pidfd_send_signal
#define SYS_pidfd_send_signal 424
#endif

using namespace kn;

namespace {

constexpr int64_t kMinSleepNs = 50'000;
constexpr int64_t kMaxSleepNs = 250'000'000;
constexpr int64_t kNearNs = 10'000'000;
constexpr int64_t kNearPollNs = 100'000;

struct Event {
  uint32_t id;
  const char* kind;  // "fired" | "gone"
  int64_t cpuNs;     // the reading that made it act
  int64_t finalNs;   // after a kill: the clock once the process died, -1 when it could not be read
};

struct State;
void Deliver(Napi::Env env, Napi::Function callback, std::nullptr_t* context, Event* event);
using Tsfn = Napi::TypedThreadSafeFunction<std::nullptr_t, Event, Deliver>;

struct Watchdog {
  uint32_t id = 0;
  clockid_t clock = 0;
  pid_t pid = 0;
  bool kill = false;
  int64_t limitNs = 0;
  int pidfd = -1;
  int wake = -1;  // eventfd: written to cancel
  std::atomic<bool> stop{false};
  Tsfn tsfn;
  std::thread thread;
};

struct State {
  std::map<uint32_t, std::unique_ptr<Watchdog>> running;
  uint32_t next = 1;
  ~State() {
    for (auto& entry : running) Finish(*entry.second);
  }
  // Stops (if still running) and joins the thread, then closes its descriptors.
  static void Finish(Watchdog& w) {
    w.stop.store(true);
    if (w.wake >= 0) {
      uint64_t one = 1;
      ssize_t ignored = write(w.wake, &one, sizeof one);
      (void)ignored;
    }
    if (w.thread.joinable()) w.thread.join();
    if (w.wake >= 0) close(w.wake);
    if (w.pidfd >= 0) close(w.pidfd);
    w.wake = w.pidfd = -1;
  }
};

int64_t Cpus() {
  long n = sysconf(_SC_NPROCESSORS_ONLN);
  return n > 0 ? n : 1;
}

void Run(Watchdog* w, int64_t cpus) {
  // Real-time priority where allowed (root, CAP_SYS_NICE): on a loaded machine a
  // normal thread may wake milliseconds late. It sleeps nearly all the time, so
  // it takes almost nothing from others. Without the right it stays normal.
  struct sched_param param = {};
  param.sched_priority = 1;
  pthread_setschedparam(pthread_self(), SCHED_FIFO, &param);
  const char* kind = nullptr;
  int64_t used = 0;
  int64_t final = -1;
  while (!w->stop.load()) {
    if (ReadClock(w->clock, &used) != 0) {
      kind = "gone";
      break;
    }
    if (used >= w->limitNs) {
      if (w->kill) {
        if (w->pidfd >= 0) {
          syscall(SYS_pidfd_send_signal, w->pidfd, SIGKILL, nullptr, 0);
          // Wait for the death, then read the zombie's clock (if the host has not reaped it yet): the true overshoot.
          struct pollfd dead = {w->pidfd, POLLIN, 0};
          struct timespec limit = {0, 100000000};
          if (ppoll(&dead, 1, &limit, nullptr) > 0 && ReadClock(w->clock, &final) != 0) final = -1;
        } else {
          ::kill(w->pid, SIGKILL);
        }
      }
      kind = "fired";
      break;
    }
    int64_t sleep = (w->limitNs - used) / cpus;
    // Near the limit, poll: another process's clock only moves at scheduler ticks,
    // so a sleep computed from it could carry far past the tick that crosses it.
    if (w->limitNs - used < kNearNs) sleep = kNearPollNs;
    sleep = sleep < kMinSleepNs ? kMinSleepNs : sleep > kMaxSleepNs ? kMaxSleepNs : sleep;
    struct timespec ts = {static_cast<time_t>(sleep / 1000000000), static_cast<long>(sleep % 1000000000)};
    struct pollfd fds[2] = {{w->wake, POLLIN, 0}, {w->pidfd, POLLIN, 0}};
    int n = ppoll(fds, w->pidfd >= 0 ? 2 : 1, &ts, nullptr);
    if (n > 0 && (fds[1].revents & POLLIN) != 0 && w->pidfd >= 0 && !w->stop.load()) {
      kind = "gone";  // the process exited: its clock may already be unreadable
      break;
    }
  }
  if (kind != nullptr && !w->stop.load()) {
    Event* event = new Event{w->id, kind, used, final};
    napi_status status = w->tsfn.BlockingCall(event);
    if (status != napi_ok) delete event;
  }
  w->tsfn.Release();
}

void Deliver(Napi::Env env, Napi::Function callback, std::nullptr_t*, Event* event) {
  std::unique_ptr<Event> owned(event);
  if (env == nullptr || callback.IsEmpty()) return;  // the environment is being torn down
  State* state = env.GetInstanceData<State>();
  if (state != nullptr) {
    auto found = state->running.find(event->id);
    if (found == state->running.end()) return;  // cancelled after the event was queued: nothing after cancel
    std::unique_ptr<Watchdog> w = std::move(found->second);
    state->running.erase(found);
    State::Finish(*w);
  }
  // A worker's environment can begin its teardown after this check: its
  // calls then fail, and binding.gyp's NODE_API_SWALLOW_UNTHROWABLE_EXCEPTIONS
  // makes node-addon-api drop the error it cannot throw instead of aborting
  // the process (napi_throw's fatal error).
  callback.Call({Napi::String::New(env, event->kind), Napi::Number::New(env, static_cast<double>(event->cpuNs)),
                 Napi::Number::New(env, static_cast<double>(event->finalNs))});
}

State* StateOf(Napi::Env env) {
  State* state = env.GetInstanceData<State>();
  if (state == nullptr) {
    state = new State();
    env.SetInstanceData<State>(state);
  }
  return state;
}

// watchdogStart(kind, id, limitNs, action, callback) -> watchdog id, or an errno name when the clock cannot be read.
Napi::Value WatchdogStart(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  int64_t target, limit;
  if (info.Length() < 5 || !info[0].IsString() || !ArgInt(info, 1, 1, 0x3fffffff, &target) ||
      !ArgInt(info, 2, 0, INT64_C(1) << 53, &limit) || !info[3].IsString() || !info[4].IsFunction()) {
    return ThrowType(env, "watchdogStart(kind, id, limitNs, action, callback): bad arguments");
  }
  std::string kind = info[0].As<Napi::String>().Utf8Value();
  std::string action = info[3].As<Napi::String>().Utf8Value();
  if ((kind != "thread" && kind != "process") || (action != "kill" && action != "notify") || (action == "kill" && kind != "process")) {
    return ThrowType(env, "watchdogStart: kind is 'thread' or 'process', action 'kill' (process only) or 'notify'");
  }
  auto w = std::make_unique<Watchdog>();
  w->pid = static_cast<pid_t>(target);
  w->kill = action == "kill";
  w->limitNs = limit;
  if (kind == "thread") {
    w->clock = ThreadClock(w->pid);
  } else {
    int err = ProcessClock(w->pid, &w->clock);
    if (err != 0) return ErrnoValue(env, err);
    long pidfd = syscall(SYS_pidfd_open, w->pid, 0);
    w->pidfd = pidfd < 0 ? -1 : static_cast<int>(pidfd);
  }
  int64_t probe;
  int err = ReadClock(w->clock, &probe);
  if (err != 0) {
    if (w->pidfd >= 0) close(w->pidfd);
    return ErrnoValue(env, err);
  }
  w->wake = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
  if (w->wake < 0) {
    err = errno;
    if (w->pidfd >= 0) close(w->pidfd);
    return ErrnoValue(env, err);
  }
  State* state = StateOf(env);
  w->id = state->next++;
  // The function stays referenced while the thread runs, so the event loop lives to
  // receive its event; the thread ends with its target (or on cancel), releasing it.
  w->tsfn = Tsfn::New(env, info[4].As<Napi::Function>(), "cathedral-watchdog", 0, 1);
  Watchdog* raw = w.get();
  int64_t cpus = Cpus();
  raw->thread = std::thread(Run, raw, cpus);
  uint32_t id = raw->id;
  state->running.emplace(id, std::move(w));
  return Napi::Number::New(env, id);
}

// watchdogCancel(id) -> true if it was still running. Joins its thread before returning.
Napi::Value WatchdogCancel(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  int64_t id;
  if (!ArgInt(info, 0, 1, 0xffffffff, &id)) return ThrowType(env, "watchdogCancel(id): a watchdog id expected");
  State* state = env.GetInstanceData<State>();
  if (state == nullptr) return Napi::Boolean::New(env, false);
  auto found = state->running.find(static_cast<uint32_t>(id));
  if (found == state->running.end()) return Napi::Boolean::New(env, false);
  std::unique_ptr<Watchdog> w = std::move(found->second);
  state->running.erase(found);
  State::Finish(*w);
  return Napi::Boolean::New(env, true);
}

Napi::Value WatchdogCount(const Napi::CallbackInfo& info) {
  State* state = info.Env().GetInstanceData<State>();
  return Napi::Number::New(info.Env(), state == nullptr ? 0 : static_cast<double>(state->running.size()));
}

}  // namespace

void InitWatchdog(Napi::Env env, Napi::Object exports) {
  exports.Set("watchdogStart", Napi::Function::New(env, WatchdogStart, "watchdogStart"));
  exports.Set("watchdogCancel", Napi::Function::New(env, WatchdogCancel, "watchdogCancel"));
  exports.Set("watchdogCount", Napi::Function::New(env, WatchdogCount, "watchdogCount"));
}
