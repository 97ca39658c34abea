#ifndef CHIREDIS_SHIM_H
#define CHIREDIS_SHIM_H
// hiredis 0.14 (Debian). Only the reply reader and the argv formatter are used: the I/O is SwiftNIO's.
#include <hiredis/hiredis.h>
#endif
