/* libFuzzer target: the frame splitter and decoder must survive any bytes. */
#include <stddef.h>
#include <stdint.h>

#include "wire.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static wire_msg msg;
	size_t flen;

	while (wire_frame_split(data, size, &flen) == 1) {
		if (wire_decode(data + WIRE_HEADER, flen - WIRE_HEADER, &msg) == 0) {
			/* a decoded message re-encodes to the same bytes */
			wire_buf b = {0};
			wire_encode(&b, &msg);
			if (b.len != flen)
				__builtin_trap();
			for (size_t i = 0; i < flen; i++)
				if (b.data[i] != data[i])
					__builtin_trap();
			wire_buf_free(&b);
		}
		data += flen;
		size -= flen;
	}
	(void)wire_decode(data, size, &msg);
	return 0;
}
