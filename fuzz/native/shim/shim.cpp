// Adapts the vendored @jazzer.js/fuzzer sources (written against Code
// Intelligence's libFuzzer fork) to upstream libFuzzer as Debian ships it in
// libclang-rt-16-dev. Three differences are bridged here; see ../README.md.
#include <cstddef>
#include <cstdint>
#include <csetjmp>
#include <cstdlib>
#include <pthread.h>
#include <unistd.h>

// ---- 1. Hooks the fork has and upstream lacks ------------------------------
extern "C" {
void __sanitizer_cov_trace_const_cmp8(uint64_t a, uint64_t b);
void __sanitizer_cov_trace_pc_indir(uintptr_t callee);
void __jazzer_set_death_callback(void (*cb)());

// Upstream libFuzzer looks this weak symbol up to hand over its crash-dump
// callback; the vendored code registers it under the fork's name.
void __sanitizer_set_death_callback(void (*cb)()) { __jazzer_set_death_callback(cb); }

// The fork's *_with_pc hooks take a fake PC (one id per JS comparison site).
// Upstream only needs the PC for -use_value_profile, so it is dropped.
void __sanitizer_cov_trace_const_cmp8_with_pc(uintptr_t, uint64_t a, uint64_t b) {
  __sanitizer_cov_trace_const_cmp8(a, b);
}
void __sanitizer_cov_trace_pc_indir_with_pc(void *, uintptr_t callee) {
  __sanitizer_cov_trace_pc_indir(callee);
}
}

// ---- 2. Stop on a finding ---------------------------------------------------
// The fork leaves its loop when the callback returns -2 (Jazzer.js has already
// printed the finding and written the crash file). Upstream ignores -2 and
// keeps fuzzing, so exit with libFuzzer's "finding" code, 77, instead.
typedef int (*UserCallback)(const uint8_t *, size_t);
static UserCallback gRealCallback;
static int ExitOnStop(const uint8_t *data, size_t size) {
  int res = gRealCallback(data, size);
  if (res == -2) {
    fsync(2);
    _Exit(77);
  }
  return res;
}

// ---- 3. Return from the driver instead of exit(0) ---------------------------
// Upstream FuzzerDriver ends with exit(0); the fork returns, so that Jazzer.js
// can settle its promise (and write --coverage reports). Linked with
// -Wl,--wrap=exit and -Wl,--wrap=<mangled fuzzer::FuzzerDriver>: an exit(0)
// on the driver's thread while it runs jumps back here and returns 0.
static jmp_buf gDriverJmp;
static bool gInDriver = false;
static pthread_t gDriverThread;

extern "C" [[noreturn]] void __real_exit(int);
extern "C" [[noreturn]] void __wrap_exit(int code) {
  if (code == 0 && gInDriver && pthread_equal(pthread_self(), gDriverThread))
    longjmp(gDriverJmp, 1);
  __real_exit(code);
}

extern "C" int __real__ZN6fuzzer12FuzzerDriverEPiPPPcPFiPKhmE(int *, char ***, UserCallback);
extern "C" int __wrap__ZN6fuzzer12FuzzerDriverEPiPPPcPFiPKhmE(int *argc, char ***argv, UserCallback cb) {
  gRealCallback = cb;
  gDriverThread = pthread_self();
  gInDriver = true;
  if (setjmp(gDriverJmp) == 0)
    __real__ZN6fuzzer12FuzzerDriverEPiPPPcPFiPKhmE(argc, argv, ExitOnStop);
  gInDriver = false;
  return 0;
}
