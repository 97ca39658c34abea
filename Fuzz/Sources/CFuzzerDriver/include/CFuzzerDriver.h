// libFuzzer's driver, for a fuzz target whose `main` is SwiftPM's (it renames the executable's
// entry point): the target starts libFuzzer itself with its own callback.
#include <stddef.h>
#include <stdint.h>

int LLVMFuzzerRunDriver(int *argc, char ***argv, int (*callback)(const uint8_t *data, size_t size));
