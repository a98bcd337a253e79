// Stand-in for compiler-rt's internal lib/fuzzer/FuzzerDefs.h, which Debian
// does not ship: only the declarations the vendored sources use (utils.h).
#pragma once
#include <cstddef>
#include <cstdint>
namespace fuzzer {
typedef int (*UserCallback)(const uint8_t *Data, size_t Size);
int FuzzerDriver(int *argc, char ***argv, UserCallback Callback);
} // namespace fuzzer
