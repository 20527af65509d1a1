// SPDX-License-Identifier: GPL-2.0-or-later
/* fwctl counters [TENANT]: the hits of each policy item, by id and file:line. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fwctl.h"
#include "fwd/proto.h"

enum { COL_TENANT, COL_RULE, COL_WHERE, COL_PACKETS, COL_BYTES, N_COLS };

static const char *const headers[N_COLS] = {"TENANT", "RULE", "WHERE", "PACKETS", "BYTES"};

/* The cells of one row: a default drop is named by its chain. */
static void cells(json_t *row, char out[N_COLS][160])
{
	const char *chain = json_string_value(json_object_get(row, "chain"));
	const char *file = json_string_value(json_object_get(row, "file"));

	snprintf(out[COL_TENANT], 160, "%s", json_string_value(json_object_get(row, "tenant")));
	snprintf(out[COL_RULE], 160, "%s%s%s", json_string_value(json_object_get(row, "rule")),
	         chain ? ":" : "", chain ? chain : "");
	snprintf(out[COL_WHERE], 160, "%s:%lld", file ? file : "-",
	         (long long)json_integer_value(json_object_get(row, "line")));
	snprintf(out[COL_PACKETS], 160, "%lld",
	         (long long)json_integer_value(json_object_get(row, "packets")));
	snprintf(out[COL_BYTES], 160, "%lld",
	         (long long)json_integer_value(json_object_get(row, "bytes")));
}

static void print_table(json_t *rows)
{
	int width[N_COLS];
	char c[N_COLS][160];
	json_t *row;
	size_t i;

	for (int k = 0; k < N_COLS; k++)
		width[k] = (int)strlen(headers[k]);
	json_array_foreach(rows, i, row)
	{
		cells(row, c);
		for (int k = 0; k < N_COLS; k++)
			if ((int)strlen(c[k]) > width[k])
				width[k] = (int)strlen(c[k]);
	}
	/* names left, numbers right */
	printf("%-*s  %-*s  %-*s  %*s  %*s\n", width[0], headers[0], width[1], headers[1], width[2],
	       headers[2], width[3], headers[3], width[4], headers[4]);
	json_array_foreach(rows, i, row)
	{
		cells(row, c);
		printf("%-*s  %-*s  %-*s  %*s  %*s\n", width[0], c[0], width[1], c[1], width[2],
		       c[2], width[3], c[3], width[4], c[4]);
	}
}

int cmd_counters(struct ctl *ctl, int argc, char **argv)
{
	struct fwp_request req = {.command = FWP_COUNTERS};
	json_t *resp = NULL, *res = NULL;
	int code;

	if (argc > 1 || (argc == 1 && argv[0][0] == '-')) {
		fprintf(stderr, "usage: fwctl counters [TENANT]\n");
		return EXIT_USAGE;
	}
	req.tenant = argc ? argv[0] : NULL;
	code = ctl_simple(ctl, &req, &resp, &res);
	if (res)
		print_table(json_object_get(res, "counters"));
	json_decref(resp);
	return code;
}
