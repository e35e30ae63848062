/* status.c - version and status strings. */
#include "wiredup.h"

const char *wd_version(void)
{
    return WD_VERSION_STRING;
}

const char *wd_strerror(int status)
{
    switch (status) {
    case WD_OK: return "ok";
    case WD_E_INVALID: return "invalid argument or parameter";
    case WD_E_NOMEM: return "out of memory";
    case WD_E_STATE: return "handle refused work after an earlier failure";
    case WD_E_LIMIT: return "size limit reached";
    case WD_E_UNSUPPORTED: return "not supported by this build or CPU";
    case WD_E_IO: return "the system refused an archive operation";
    case WD_E_MISMATCH: return "archive built with other parameters";
    case WD_E_CORRUPT: return "archive damaged or not an index";
    }
    return "unknown status";
}
