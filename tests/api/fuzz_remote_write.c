/* fuzz_remote_write — libFuzzer entry for the remote_write decoder: the
 * input is tried as a raw WriteRequest and as a snappy-compressed body.
 * Every input must decode or be refused with a message; decoded requests
 * must be internally consistent. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include "http/remote_write.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    rw_request r;
    heron_err err = {0};
    if (rw_decode_proto(data, size, &r, &err) == 0) {
        size_t total = 0;
        for (size_t i = 0; i < r.nseries; i++) {
            total += r.series[i].nsamples;
            for (size_t j = 0; j < r.series[i].nlabels; j++)
                if (!r.series[i].labels[j].name || !r.series[i].labels[j].value)
                    abort();
        }
        if (total != r.nsamples)
            abort();
        rw_request_free(&r);
    } else if (!err.msg[0]) {
        abort();
    }
    if (rw_decode((const char *)data, size, &r, &err) == 0)
        rw_request_free(&r);
    return 0;
}
