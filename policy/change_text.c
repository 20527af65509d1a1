// SPDX-License-Identifier: GPL-2.0-or-later
/* One rendered section of a plan against its other side (change_l2.h). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>

#include "change_l2.h"

int change_text_diff(FILE *f, char *a, char *b, const char *name, const char *old_label,
                     const char *new_label, fw_textdiff_ignore_fn ignore)
{
	char *la = NULL, *lb = NULL, *d = NULL;
	int r = -ENOMEM;

	if (a && b && asprintf(&la, "%s (%s)", name, old_label) >= 0 &&
	    asprintf(&lb, "%s (%s)", name, new_label) >= 0)
		r = fw_textdiff(a, b, la, lb, 0, ignore, &d);
	if (r == 1)
		fputs(d, f);
	free(d);
	free(a);
	free(b);
	free(la);
	free(lb);
	return r;
}
