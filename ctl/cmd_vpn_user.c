// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * fwctl vpn user add|del, vpn site add|del, vpn list: edits of the live
 * tenant file through fwd (vpn-edit, applied like `fwctl rule add`), and
 * the list of users and sites.
 *
 * `user add` without --pubkey makes the user's key pair here, in fwctl
 * (X25519 with WireGuard's clamping, libsodium), sends fwd the public key
 * only, and prints the client's wg-quick configuration once, with a QR code
 * of it, or writes it (0600) to --out FILE (.conf: the text, .png: the QR
 * code). The private key is in no request, no file but that one, and is
 * wiped from memory after use.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fwctl.h"
#include "fwd/proto.h"
#include "fwd/vpnclient.h"
#include "qr.h"

#define KEY_B64          45 /* 44 characters and NUL */
#define CLIENT_KEEPALIVE 25

static int usage(void)
{
	fprintf(stderr,
	        "usage: fwctl vpn user add NAME [--group G]... [--address A|auto] [--pubkey K]\n"
	        "                              [--out FILE.conf|FILE.png] [--tenant T]\n"
	        "       fwctl vpn user del NAME [--tenant T]\n"
	        "       fwctl vpn site add NAME --pubkey K --network CIDR... [--endpoint H:P]\n"
	        "                              [--keepalive S] [--tenant T]\n"
	        "       fwctl vpn site del NAME [--tenant T]\n"
	        "       fwctl vpn list [TENANT]\n");
	return EXIT_USAGE;
}

static const char *str(json_t *o, const char *key)
{
	const char *s = json_string_value(json_object_get(o, key));

	return s ? s : "";
}

/* No --tenant: the one tenant with a vpn. */
static int pick_tenant(const struct ctl *ctl, const char **tenant, char *buf, size_t size)
{
	struct fwp_request req = {.command = FWP_VPN_LIST};
	struct ctl quiet = *ctl;
	json_t *resp = NULL, *res = NULL, *ts;
	int code;

	if (*tenant)
		return EXIT_OK;
	quiet.json = false;
	code = ctl_simple(&quiet, &req, &resp, &res);
	ts = json_object_get(res, "tenants");
	if (code == EXIT_OK && json_array_size(ts) != 1) {
		fprintf(stderr, "fwctl vpn: %s; name one with --tenant\n",
		        json_array_size(ts) ? "several tenants have a vpn" : "no tenant has a vpn");
		code = EXIT_USAGE;
	}
	if (code == EXIT_OK) {
		snprintf(buf, size, "%s", str(json_array_get(ts, 0), "tenant"));
		*tenant = buf;
	}
	json_decref(resp);
	return code;
}

/* X25519 with WireGuard's clamping; both keys as base64. */
static int make_keys(char priv_b64[KEY_B64], char pub_b64[KEY_B64])
{
	unsigned char priv[crypto_scalarmult_BYTES], pub[crypto_scalarmult_BYTES];
	int r;

	if (sodium_init() < 0)
		return -EIO;
	randombytes_buf(priv, sizeof(priv));
	priv[0] &= 248;
	priv[31] = (unsigned char)((priv[31] & 127) | 64);
	r = crypto_scalarmult_base(pub, priv) == 0 ? 0 : -EIO;
	if (!r) {
		sodium_bin2base64(priv_b64, KEY_B64, priv, sizeof(priv),
		                  sodium_base64_VARIANT_ORIGINAL);
		sodium_bin2base64(pub_b64, KEY_B64, pub, sizeof(pub),
		                  sodium_base64_VARIANT_ORIGINAL);
	}
	sodium_memzero(priv, sizeof(priv));
	return r;
}

static const char *ext_of(const char *path)
{
	const char *dot = strrchr(path, '.'), *slash = strrchr(path, '/');

	return dot && (!slash || dot > slash) ? dot : "";
}

/* The answer's vpn_user as a wg-quick configuration (a new string). */
static char *client_config(json_t *vu, const char *priv_b64)
{
	char dns[512] = "";
	size_t i, at = 0;
	json_t *d;

	json_array_foreach(json_object_get(vu, "dns"), i, d)
	{
		int n = snprintf(dns + at, sizeof(dns) - at, "%s%s", i ? ", " : "",
		                 json_string_value(d) ?: "");
		if (n < 0 || (size_t)n >= sizeof(dns) - at)
			break;
		at += (size_t)n;
	}
	struct vpn_client_conf c = {
	    .private_key = priv_b64,
	    .address = str(vu, "address"),
	    .dns = dns,
	    .server_key = str(vu, "server_public_key"),
	    .endpoint = str(vu, "endpoint"),
	    .allowed_ips = str(vu, "allowed_ips"),
	    .keepalive = CLIENT_KEEPALIVE,
	};
	return vpn_client_config_render(&c);
}

/* The configuration: to stdout with a QR code, or to the --out file. */
static int deliver(json_t *vu, const char *priv_b64, const char *out, FILE *outf)
{
	char *conf;
	int r = 0;

	if (!*str(vu, "server_public_key")) {
		fprintf(stderr,
		        "fwctl vpn user add: the user is added, but fwd reports no public key "
		        "for the tenant's VPN interface (is its VPN backend running?); delete "
		        "the user and add it again when it is\n");
		return EXIT_ERRORS;
	}
	if (!*str(vu, "endpoint"))
		fprintf(stderr, "fwctl vpn user add: warning: the tenant's uplink has no public "
		                "address: the configuration has no Endpoint; add it by hand\n");
	if (!*str(vu, "allowed_ips"))
		fprintf(stderr, "fwctl vpn user add: warning: no rule lets this user reach "
		                "anything yet: the configuration has no AllowedIPs\n");
	if (!(conf = client_config(vu, priv_b64))) {
		fprintf(stderr, "fwctl vpn user add: out of memory\n");
		return EXIT_ERRORS;
	}
	if (!outf) {
		fputs(conf, stdout);
		putchar('\n');
		r = ctl_qr_print(stdout, conf, NULL);
	} else if (!strcmp(ext_of(out), ".png")) {
		r = ctl_qr_png(outf, conf);
	} else {
		r = fputs(conf, outf) < 0 ? -EIO : 0;
	}
	sodium_memzero(conf, strlen(conf));
	free(conf);
	if (r < 0) {
		fprintf(stderr, "fwctl vpn user add: cannot write the configuration: %s\n",
		        strerror(-r));
		return EXIT_ERRORS;
	}
	if (out)
		fprintf(stderr, "client configuration of VPN user '%s' written to %s\n",
		        str(vu, "user"), out);
	return EXIT_OK;
}

static void print_applied(json_t *res)
{
	size_t i;
	json_t *d;

	fprintf(stderr, "applied generation %lld\n",
	        (long long)json_integer_value(json_object_get(res, "generation")));
	json_array_foreach(json_object_get(res, "warnings"), i, d)
	    fprintf(stderr, "%s:%lld:%lld: %s: %s\n", str(d, "file"),
	            (long long)json_integer_value(json_object_get(d, "line")),
	            (long long)json_integer_value(json_object_get(d, "column")), str(d, "severity"),
	            str(d, "message"));
	fputs(str(json_object_get(res, "access"), "text"), stderr);
}

enum {
	O_GROUP = 'g',
	O_ADDR = 'a',
	O_KEY = 'k',
	O_OUT = 'o',
	O_TENANT = 't',
	O_NET = 'n',
	O_EP = 'e',
	O_KA = 'K'
};

static int add_list(const char *what, const char *v, const char **list, size_t *n)
{
	if (*n >= FWP_MAX_RULE_LIST) {
		fprintf(stderr, "fwctl vpn: more than %d %s\n", FWP_MAX_RULE_LIST, what);
		return -E2BIG;
	}
	list[(*n)++] = v;
	return 0;
}

static int edit(struct ctl *ctl, bool user, int argc, char **argv)
{
	static const struct option opts[] = {
	    {"group", required_argument, NULL, O_GROUP},
	    {"address", required_argument, NULL, O_ADDR},
	    {"pubkey", required_argument, NULL, O_KEY},
	    {"out", required_argument, NULL, O_OUT},
	    {"tenant", required_argument, NULL, O_TENANT},
	    {"network", required_argument, NULL, O_NET},
	    {"endpoint", required_argument, NULL, O_EP},
	    {"keepalive", required_argument, NULL, O_KA},
	    {0},
	};
	struct fwp_request req = {.command = FWP_VPN_EDIT, .has_vpn = true};
	struct fwp_vpn_edit *v = &req.vpn;
	const char *out = NULL, *what = NULL;
	char tenant_buf[64], priv[KEY_B64] = "", pub[KEY_B64];
	json_t *resp = NULL, *res = NULL;
	FILE *outf = NULL;
	unsigned long long ka;
	bool add;
	int c, code;

	if (argc < 1 || (strcmp(argv[0], "add") && strcmp(argv[0], "del")))
		return usage();
	add = !strcmp(argv[0], "add");
	v->op = user ? (add ? "user-add" : "user-del") : (add ? "site-add" : "site-del");
	what = user ? (add ? "vpn user add" : "vpn user del")
	            : (add ? "vpn site add" : "vpn site del");
	v->keepalive = -1;
	optind = 0;
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		bool ok = c == O_TENANT || (add && user && strchr("gako", c)) ||
		          (add && !user && strchr("kneK", c));
		if (!ok)
			return usage();
		switch (c) {
		case O_GROUP:
			if (add_list("groups", optarg, v->groups, &v->n_groups) < 0)
				return EXIT_USAGE;
			break;
		case O_NET:
			if (add_list("networks", optarg, v->networks, &v->n_networks) < 0)
				return EXIT_USAGE;
			break;
		case O_ADDR:
			v->address = optarg;
			break;
		case O_KEY:
			v->public_key = optarg;
			break;
		case O_OUT:
			out = optarg;
			break;
		case O_TENANT:
			req.tenant = optarg;
			break;
		case O_EP:
			v->endpoint = optarg;
			break;
		case O_KA:
			if (!ctl_parse_number(optarg, 0, 65535, &ka)) {
				fprintf(stderr,
				        "fwctl vpn site add: --keepalive: expected seconds from 0 "
				        "to 65535\n");
				return EXIT_USAGE;
			}
			v->keepalive = (int)ka;
			break;
		}
	}
	/* argv[0] is "add" or "del"; getopt moved NAME after the options */
	if (optind + 1 != argc)
		return usage();
	v->name = argv[optind];
	if (!user && add && (!v->public_key || !v->n_networks)) {
		fprintf(stderr, "fwctl vpn site add: --pubkey and --network are required\n");
		return EXIT_USAGE;
	}
	if (out &&
	    (v->public_key || (strcmp(ext_of(out), ".conf") && strcmp(ext_of(out), ".png")))) {
		fprintf(stderr, "fwctl vpn user add: --out takes FILE.conf or FILE.png, and only "
		                "when fwctl makes the key (no --pubkey)\n");
		return EXIT_USAGE;
	}
	if ((code = pick_tenant(ctl, &req.tenant, tenant_buf, sizeof(tenant_buf))) != EXIT_OK)
		return code;
	if (ctl_origin(what, NULL, &req) < 0)
		return EXIT_USAGE;
	if (user && add && !v->public_key) {
		if (out) {
			/* Made before the user exists: a key nobody can save is no use. */
			int fd = open(out, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
			if (fd < 0 || !(outf = fdopen(fd, "w"))) {
				fprintf(stderr, "fwctl vpn user add: cannot create %s: %s\n", out,
				        strerror(errno));
				if (fd >= 0)
					close(fd);
				return EXIT_USAGE;
			}
			/* no stdio buffer keeps a copy of the private key */
			setvbuf(outf, NULL, _IONBF, 0);
		}
		if (make_keys(priv, pub) < 0) {
			fprintf(stderr, "fwctl vpn user add: cannot make a key pair\n");
			code = EXIT_ERRORS;
			goto out;
		}
		v->public_key = pub;
	}
	{
		/* With a key made here the answer is needed, --json or not. */
		struct ctl c2 = *ctl;
		c2.json = ctl->json && !priv[0];
		code = ctl_simple(&c2, &req, &resp, &res);
	}
	if (res && !ctl->json)
		print_applied(res);
	if (res && priv[0])
		code = deliver(json_object_get(res, "vpn_user"), priv, out, outf);
out:
	sodium_memzero(priv, sizeof(priv));
	if (outf && fclose(outf) != 0 && code == EXIT_OK) {
		fprintf(stderr, "fwctl vpn user add: cannot write %s\n", out);
		code = EXIT_ERRORS;
	}
	if (outf && (code != EXIT_OK || !res))
		unlink(out);
	json_decref(resp);
	return code;
}

static int list(struct ctl *ctl, int argc, char **argv)
{
	struct fwp_request req = {.command = FWP_VPN_LIST};
	json_t *resp = NULL, *res = NULL, *t, *x, *g;
	size_t i, j, k;
	int code;

	if (argc > 1 || (argc == 1 && argv[0][0] == '-'))
		return usage();
	req.tenant = argc ? argv[0] : NULL;
	code = ctl_simple(ctl, &req, &resp, &res);
	json_array_foreach(json_object_get(res, "tenants"), i, t)
	{
		printf("tenant %s: interface %s, udp/%lld, pool %s\n", str(t, "tenant"),
		       str(t, "interface"),
		       (long long)json_integer_value(json_object_get(t, "listen_port")),
		       str(t, "pool"));
		json_array_foreach(json_object_get(t, "users"), j, x)
		{
			printf("  user %s %s%s groups ", str(x, "name"), str(x, "address"),
			       json_is_true(json_object_get(x, "auto")) ? " (auto)" : "");
			json_array_foreach(json_object_get(x, "groups"), k, g)
			    printf("%s%s", k ? "," : "", json_string_value(g));
			printf("%s key %s\n",
			       json_array_size(json_object_get(x, "groups")) ? "" : "-",
			       *str(x, "public_key") ? str(x, "public_key") : "(none)");
		}
		json_array_foreach(json_object_get(t, "sites"), j, x)
		{
			printf("  site %s networks ", str(x, "name"));
			json_array_foreach(json_object_get(x, "networks"), k, g)
			    printf("%s%s", k ? "," : "", json_string_value(g));
			printf(" endpoint %s key %s\n",
			       *str(x, "endpoint") ? str(x, "endpoint") : "-",
			       str(x, "public_key"));
		}
	}
	if (res && json_array_size(json_object_get(res, "tenants")) == 0)
		printf("no tenant has a vpn\n");
	json_decref(resp);
	return code;
}

int cmd_vpn_all(struct ctl *ctl, int argc, char **argv)
{
	if (argc > 0 && !strcmp(argv[0], "user"))
		return edit(ctl, true, argc - 1, argv + 1);
	if (argc > 0 && !strcmp(argv[0], "site"))
		return edit(ctl, false, argc - 1, argv + 1);
	if (argc > 0 && !strcmp(argv[0], "list"))
		return list(ctl, argc - 1, argv + 1);
	return cmd_vpn(ctl, argc, argv);
}
