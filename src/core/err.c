#include "core/err.h"

#include <stdarg.h>
#include <stdio.h>

int err_set(heron_err *err, int code, const char *fmt, ...)
{
    if (err) {
        va_list ap;
        va_start(ap, fmt);
        err->code = code;
        vsnprintf(err->msg, sizeof err->msg, fmt, ap);
        va_end(ap);
    }
    return code;
}

const char *heron_strerror(int code)
{
    switch (code) {
    case HERON_OK: return "success";
    case HERON_EINVAL: return "invalid argument";
    case HERON_ENOMEM: return "out of memory";
    case HERON_EEXIST: return "already exists";
    case HERON_ENOENT: return "not found";
    case HERON_EIO: return "I/O error";
    case HERON_ERANGE: return "limit exceeded";
    case HERON_ESTATE: return "invalid state";
    default: return "unknown error";
    }
}
