/* SPDX-License-Identifier: GPL-2.0-or-later */
/* A text as a QR code, in the terminal or as a PNG (ctl/qr.c). */
#ifndef FWCTL_QR_H
#define FWCTL_QR_H

#include <stdio.h>

/* UTF-8 half blocks to f; the code's width in modules in *ret_width (may
 * be NULL). 0 or a negative errno (-ERANGE: too long for a QR code). */
int ctl_qr_print(FILE *f, const char *text, int *ret_width);
/* A grayscale PNG to f, 8 pixels a module and a 4-module quiet zone. */
int ctl_qr_png(FILE *f, const char *text);

#endif
