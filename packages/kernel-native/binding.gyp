{
  "targets": [
    {
      "target_name": "kernel_native",
      "sources": ["native/addon.cc", "native/addon-openat2.cc", "native/addon-watchdog.cc"],
      "include_dirs": ["<!(node -p \"require('node-addon-api').include_dir\")"],
      "defines": ["NAPI_VERSION=8", "NAPI_DISABLE_CPP_EXCEPTIONS", "NODE_API_SWALLOW_UNTHROWABLE_EXCEPTIONS"],
      "cflags_cc": ["-std=c++17", "-O2", "-Wall", "-Wextra"]
    },
    {
      "target_name": "cathedral-launch",
      "type": "executable",
      "sources": ["native/launcher.c", "native/launcher-landlock.c", "native/launcher-seccomp.c", "native/launcher-probe.c"],
      "cflags": ["-std=gnu11", "-O2", "-Wall", "-Wextra"]
    }
  ]
}
