// openat2(2) for hostDir: paths resolved by the kernel beneath a held
// directory descriptor, race-free, instead of by string checks in JS.
//
// openat2(dirfd, path, flags, resolve, mode) returns a descriptor or an errno
// name (EXDEV for `..` or an absolute path escaping, ELOOP for a symlink).
// readBeneath(dirfd, path, maxBytes) opens, checks, reads and closes a
// regular single-link file in one call, returning its bytes or a name: an
// errno, or ENOTREG (not a regular file), EMLINK (more than one hard link),
// EFBIG (larger than maxBytes), ESTALE (replaced while being opened). It does
// not open for reading what it has not seen to be a regular file: the name is
// first reached with O_PATH and checked with fstat, then opened again
// (O_NONBLOCK, beneath) and refused unless it is the same inode.
// openDirChecked(path, dev, ino) opens a directory by host path and refuses
// (ESTALE) unless it is still the directory (dev, ino) it was.
//
// Deliberately not here: deciding what a guest may reach (powerbox does) and
// anything asynchronous. These calls block the calling thread; callers bound
// maxBytes so that a read stays short.
#include <napi.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fcntl.h>
#include <string>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>
#include <vector>

#include "addon-common.h"

#ifndef SYS_openat2
#define SYS_openat2 437
#endif

using namespace kn;

namespace {

constexpr uint64_t kBeneath = kResolveBeneath | kResolveNoSymlinks | kResolveNoMagiclinks;

int Openat2(int dirfd, const char* path, uint64_t flags, uint64_t resolve, uint64_t mode) {
  OpenHow how{};
  how.flags = flags | O_CLOEXEC;
  how.mode = mode;
  how.resolve = resolve;
  for (;;) {
    long fd = syscall(SYS_openat2, dirfd, path, &how, sizeof how);
    if (fd >= 0) return static_cast<int>(fd);
    // EAGAIN: a rename raced the lookup under RESOLVE_BENEATH; the kernel asks for a retry.
    if (errno != EINTR && errno != EAGAIN) return -errno;
  }
}

// A JS string argument as a C string, refusing embedded NULs (they would cut the path short).
bool ArgPath(const Napi::CallbackInfo& info, size_t i, std::string* out) {
  if (info.Length() <= i || !info[i].IsString()) return false;
  *out = info[i].As<Napi::String>().Utf8Value();
  return out->find('\0') == std::string::npos;
}

Napi::Value OpenAt2(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  int64_t dirfd, flags, resolve, mode = 0;
  std::string path;
  if (!ArgInt(info, 0, -100, 0x7fffffff, &dirfd) || !ArgPath(info, 1, &path) || !ArgInt(info, 2, 0, 0x7fffffff, &flags) ||
      !ArgInt(info, 3, 0, 0x3f, &resolve) || (info.Length() > 4 && !info[4].IsUndefined() && !ArgInt(info, 4, 0, 07777, &mode))) {
    return ThrowType(env, "openat2(dirfd, path, flags, resolve, mode?): integers and a path without NUL expected");
  }
  int fd = Openat2(static_cast<int>(dirfd), path.c_str(), static_cast<uint64_t>(flags), static_cast<uint64_t>(resolve),
                   static_cast<uint64_t>(mode));
  return fd < 0 ? ErrnoValue(env, -fd) : Napi::Number::New(env, fd);
}

int ReadAll(int fd, size_t max, std::vector<uint8_t>* out) {
  for (;;) {
    size_t have = out->size();
    if (have > max) return EFBIG;
    size_t want = have + 65536 > max + 1 ? max + 1 - have : 65536;
    out->resize(have + want);
    ssize_t n = read(fd, out->data() + have, want);
    if (n < 0) {
      out->resize(have);
      if (errno == EINTR) continue;
      return errno;
    }
    out->resize(have + static_cast<size_t>(n));
    if (n == 0) return out->size() > max ? EFBIG : 0;
  }
}

int ReadBeneathInto(int dirfd, const char* path, size_t max, std::vector<uint8_t>* out) {
  int pfd = Openat2(dirfd, path, O_PATH | O_NOFOLLOW, kBeneath, 0);
  if (pfd < 0) return -pfd;
  struct stat named;
  if (fstat(pfd, &named) != 0) {
    int err = errno;
    close(pfd);
    return err;
  }
  int err = 0;
  if (S_ISLNK(named.st_mode)) err = ELOOP;
  else if (S_ISDIR(named.st_mode)) err = EISDIR;
  else if (!S_ISREG(named.st_mode)) err = -1;  // ENOTREG
  else if (named.st_nlink > 1) err = EMLINK;
  else if (static_cast<uint64_t>(named.st_size) > max) err = EFBIG;
  if (err != 0) {
    close(pfd);
    return err;
  }
  close(pfd);
  // Open the same name again for reading, beneath, and require the same inode:
  // if it was swapped between the two opens, refuse (the caller retries or
  // takes the slow path). Cheaper than reopening through /proc/self/fd.
  int fd = Openat2(dirfd, path, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY, kBeneath, 0);
  if (fd < 0) return -fd == ELOOP ? ELOOP : ESTALE;
  struct stat held;
  if (fstat(fd, &held) != 0 || held.st_dev != named.st_dev || held.st_ino != named.st_ino || !S_ISREG(held.st_mode) ||
      held.st_nlink > 1) {
    close(fd);
    return ESTALE;
  }
  out->reserve(static_cast<size_t>(held.st_size) + 1);
  err = ReadAll(fd, max, out);
  close(fd);
  return err;
}

Napi::Value ReadBeneath(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  int64_t dirfd, max;
  std::string path;
  if (!ArgInt(info, 0, 0, 0x7fffffff, &dirfd) || !ArgPath(info, 1, &path) || !ArgInt(info, 2, 0, 1LL << 40, &max)) {
    return ThrowType(env, "readBeneath(dirfd, path, maxBytes): a descriptor, a path without NUL and a byte count expected");
  }
  std::vector<uint8_t> bytes;
  int err = ReadBeneathInto(static_cast<int>(dirfd), path.c_str(), static_cast<size_t>(max), &bytes);
  if (err == -1) return Napi::String::New(env, "ENOTREG");
  if (err != 0) return ErrnoValue(env, err);
  Napi::ArrayBuffer buffer = Napi::ArrayBuffer::New(env, bytes.size());
  if (!bytes.empty()) memcpy(buffer.Data(), bytes.data(), bytes.size());
  return Napi::Uint8Array::New(env, bytes.size(), buffer, 0);
}

// { dev, ino, mode, nlink, size } of an open descriptor (dev and ino as bigint, like Node's bigint stats), or an errno name.
Napi::Value FdStat(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  int64_t fd;
  if (!ArgInt(info, 0, 0, 0x7fffffff, &fd)) return ThrowType(env, "fdStat(fd): a descriptor expected");
  struct stat st;
  if (fstat(static_cast<int>(fd), &st) != 0) return ErrnoValue(env, errno);
  Napi::Object out = Napi::Object::New(env);
  out.Set("dev", Napi::BigInt::New(env, static_cast<uint64_t>(st.st_dev)));
  out.Set("ino", Napi::BigInt::New(env, static_cast<uint64_t>(st.st_ino)));
  out.Set("mode", Napi::Number::New(env, st.st_mode));
  out.Set("nlink", Napi::Number::New(env, static_cast<double>(st.st_nlink)));
  out.Set("size", Napi::Number::New(env, static_cast<double>(st.st_size)));
  return out;
}

// Opens a directory by host path without following a final symlink: a descriptor or an errno name.
Napi::Value OpenDir(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  std::string path;
  if (!ArgPath(info, 0, &path)) return ThrowType(env, "openDir(path): a path without NUL expected");
  int fd;
  do fd = open(path.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
  while (fd < 0 && errno == EINTR);
  return fd < 0 ? ErrnoValue(env, errno) : Napi::Number::New(env, fd);
}

Napi::Value OpenDirChecked(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  std::string path;
  if (!ArgPath(info, 0, &path) || info.Length() < 3 || !info[1].IsBigInt() || !info[2].IsBigInt()) {
    return ThrowType(env, "openDirChecked(path, dev, ino): a path without NUL and two bigints expected");
  }
  bool lossless = true;
  uint64_t dev = info[1].As<Napi::BigInt>().Uint64Value(&lossless);
  uint64_t ino = info[2].As<Napi::BigInt>().Uint64Value(&lossless);
  int fd;
  do fd = open(path.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
  while (fd < 0 && errno == EINTR);
  if (fd < 0) return ErrnoValue(env, errno);
  struct stat st;
  if (fstat(fd, &st) != 0 || static_cast<uint64_t>(st.st_dev) != dev || static_cast<uint64_t>(st.st_ino) != ino) {
    close(fd);
    return ErrnoValue(env, ESTALE);
  }
  return Napi::Number::New(env, fd);
}

// Closes a descriptor this addon returned: null or an errno name.
Napi::Value CloseFd(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  int64_t fd;
  if (!ArgInt(info, 0, 0, 0x7fffffff, &fd)) return ThrowType(env, "closeFd(fd): a descriptor expected");
  // Linux closes the descriptor even when close reports EINTR: never retry.
  return close(static_cast<int>(fd)) != 0 && errno != EINTR ? ErrnoValue(env, errno) : env.Null();
}

}  // namespace

void InitOpenat2(Napi::Env env, Napi::Object exports) {
  exports.Set("openat2", Napi::Function::New(env, OpenAt2, "openat2"));
  exports.Set("readBeneath", Napi::Function::New(env, ReadBeneath, "readBeneath"));
  exports.Set("fdStat", Napi::Function::New(env, FdStat, "fdStat"));
  exports.Set("openDir", Napi::Function::New(env, OpenDir, "openDir"));
  exports.Set("openDirChecked", Napi::Function::New(env, OpenDirChecked, "openDirChecked"));
  exports.Set("closeFd", Napi::Function::New(env, CloseFd, "closeFd"));
  Napi::Object resolve = Napi::Object::New(env);
  resolve.Set("NO_XDEV", Napi::Number::New(env, static_cast<double>(kResolveNoXdev)));
  resolve.Set("NO_MAGICLINKS", Napi::Number::New(env, static_cast<double>(kResolveNoMagiclinks)));
  resolve.Set("NO_SYMLINKS", Napi::Number::New(env, static_cast<double>(kResolveNoSymlinks)));
  resolve.Set("BENEATH", Napi::Number::New(env, static_cast<double>(kResolveBeneath)));
  exports.Set("RESOLVE", resolve);
}
