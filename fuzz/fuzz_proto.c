// SPDX-License-Identifier: GPL-2.0-or-later
/* libFuzzer target: any bytes as a control-protocol request line. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include "fwd/proto.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fwp_request req;
	char err[256];

	if (fwp_request_parse((const char *)data, size, &req, err, sizeof(err)) == 0) {
		/* What parses must serialise and parse again to the same request. */
		char *line = fwp_request_format(&req);
		struct fwp_request again;

		if (line) {
			size_t len = 0;
			while (line[len] && line[len] != '\n')
				len++;
			if (fwp_request_parse(line, len, &again, err, sizeof(err)) != 0 ||
			    again.command != req.command || again.n_files != req.n_files ||
			    again.confirm != req.confirm || again.generation != req.generation)
				abort();
			fwp_request_free(&again);
			free(line);
		}
		fwp_request_free(&req);
	}
	return 0;
}
