// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * A text as a QR code (libqrencode): in the terminal with UTF-8 half blocks
 * (two modules a character cell, light modules drawn, as on a dark
 * terminal), or as a PNG (libpng). The text is a client configuration with
 * its private key: every buffer that holds the code is wiped before it is
 * freed.
 */
#include <errno.h>
#include <png.h>
#include <qrencode.h>
#include <sodium.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "qr.h"

#define QR_MARGIN     2 /* modules of quiet zone in the terminal */
#define PNG_MARGIN    4 /* and in a PNG (the standard's) */
#define PNG_MODULE_PX 8

static QRcode *encode(const char *text)
{
	return QRcode_encodeString8bit(text, 0, QR_ECLEVEL_L);
}

static void code_free(QRcode *q)
{
	if (!q)
		return;
	sodium_memzero(q->data, (size_t)q->width * (size_t)q->width);
	QRcode_free(q);
}

/* Is module (x, y) of the padded code dark? Outside the code: light. */
static bool dark(const QRcode *q, int margin, int x, int y)
{
	x -= margin;
	y -= margin;
	return x >= 0 && y >= 0 && x < q->width && y < q->width && (q->data[y * q->width + x] & 1);
}

int ctl_qr_print(FILE *f, const char *text, int *ret_width)
{
	QRcode *q = encode(text);
	int n;

	if (!q)
		return errno ? -errno : -ENOMEM;
	n = q->width + 2 * QR_MARGIN;
	for (int y = 0; y < n; y += 2) {
		for (int x = 0; x < n; x++) {
			bool top = !dark(q, QR_MARGIN, x, y);
			bool bottom = y + 1 < n && !dark(q, QR_MARGIN, x, y + 1);

			fputs(top && bottom ? "\u2588"
			      : top         ? "\u2580"
			      : bottom      ? "\u2584"
			                    : " ",
			      f);
		}
		fputc('\n', f);
	}
	if (ret_width)
		*ret_width = q->width;
	code_free(q);
	return ferror(f) ? -EIO : 0;
}

int ctl_qr_png(FILE *f, const char *text)
{
	QRcode *q = encode(text);
	png_structp png = NULL;
	png_infop info = NULL;
	png_bytep row = NULL;
	int n, px, r = -ENOMEM;

	if (!q)
		return errno ? -errno : -ENOMEM;
	n = q->width + 2 * PNG_MARGIN;
	px = n * PNG_MODULE_PX;
	row = malloc((size_t)px);
	png = png_create_write_struct(PNG_LIBPNG_VER_STRING, NULL, NULL, NULL);
	if (png)
		info = png_create_info_struct(png);
	if (!row || !png || !info)
		goto out;
	if (setjmp(png_jmpbuf(png))) {
		r = -EIO;
		goto out;
	}
	png_init_io(png, f);
	png_set_IHDR(png, info, (png_uint_32)px, (png_uint_32)px, 8, PNG_COLOR_TYPE_GRAY,
	             PNG_INTERLACE_NONE, PNG_COMPRESSION_TYPE_DEFAULT, PNG_FILTER_TYPE_DEFAULT);
	png_write_info(png, info);
	for (int y = 0; y < px; y++) {
		for (int x = 0; x < px; x++)
			row[x] =
			    dark(q, PNG_MARGIN, x / PNG_MODULE_PX, y / PNG_MODULE_PX) ? 0 : 255;
		png_write_row(png, row);
	}
	png_write_end(png, NULL);
	r = 0;
out:
	if (png)
		png_destroy_write_struct(&png, info ? &info : NULL);
	if (row) {
		sodium_memzero(row, (size_t)px);
		free(row);
	}
	code_free(q);
	return r;
}
