// SPDX-License-Identifier: GPL-2.0-or-later
/* Naming logged packets: addresses and rule ids in the policy (see fwd/locate.h). */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "fwd/locate.h"

static bool addr_in(const struct fw_prefix *p, uint8_t family, const uint8_t *addr)
{
	struct fw_prefix a = {.family = family, .len = family == 4 ? 32 : 128};

	memcpy(a.a, addr, family == 4 ? 4 : 16);
	return fw_prefix_contains(p, &a);
}

static bool addr_is(const struct fw_prefix *p, uint8_t family, const uint8_t *addr)
{
	return p->family == family && !memcmp(p->a, addr, family == 4 ? 4 : 16);
}

void fw_locate_addr(const struct fw_tenant *t, uint8_t family, const uint8_t *addr,
                    struct fw_place *ret)
{
	*ret = (struct fw_place){.kind = FW_PLACE_INTERNET};
	if (family != 4 && family != 6)
		return;
	for (size_t i = 0; i < t->n_hosts; i++) {
		const struct fw_host *h = &t->hosts[i];
		if ((h->has_addr4 && addr_is(&h->addr4, family, addr)) ||
		    (h->has_addr6 && addr_is(&h->addr6, family, addr))) {
			*ret = (struct fw_place){FW_PLACE_HOST, h->name, t->zones[h->zone].name};
			return;
		}
	}
	for (size_t i = 0; i < t->n_zones; i++) {
		const struct fw_zone *z = &t->zones[i];
		if ((z->has_subnet4 && addr_is(&z->gw4, family, addr)) ||
		    (z->has_subnet6 && addr_is(&z->gw6, family, addr))) {
			*ret = (struct fw_place){FW_PLACE_FIREWALL, NULL, z->name};
			return;
		}
		if ((z->has_subnet4 && addr_in(&z->subnet4, family, addr)) ||
		    (z->has_subnet6 && addr_in(&z->subnet6, family, addr))) {
			*ret = (struct fw_place){FW_PLACE_ZONE, NULL, z->name};
			return;
		}
	}
	for (size_t i = 0; i < t->n_public; i++)
		if (addr_is(&t->public_addrs[i], family, addr)) {
			ret->kind = FW_PLACE_FIREWALL;
			return;
		}
	if (t->vpn.present) {
		if (addr_is(&t->vpn.address, family, addr)) {
			ret->kind = FW_PLACE_FIREWALL;
			return;
		}
		for (size_t i = 0; i < t->vpn.n_users; i++)
			if (addr_is(&t->vpn.users[i].addr, family, addr)) {
				*ret = (struct fw_place){FW_PLACE_VPN_USER, t->vpn.users[i].name,
				                         NULL};
				return;
			}
		if (addr_in(&t->vpn.pool, family, addr)) {
			ret->kind = FW_PLACE_VPN;
			return;
		}
		for (size_t i = 0; i < t->vpn.n_sites; i++)
			for (size_t j = 0; j < t->vpn.sites[i].n_networks; j++)
				if (addr_in(&t->vpn.sites[i].networks[j], family, addr)) {
					*ret = (struct fw_place){FW_PLACE_SITE,
					                         t->vpn.sites[i].name, NULL};
					return;
				}
	}
}

const char *fw_place_word(const struct fw_place *p, char *buf, size_t size)
{
	switch (p->kind) {
	case FW_PLACE_HOST:
		snprintf(buf, size, "%s", p->name);
		break;
	case FW_PLACE_ZONE:
		snprintf(buf, size, "%s", "");
		break;
	case FW_PLACE_FIREWALL:
		snprintf(buf, size, "firewall");
		break;
	case FW_PLACE_VPN_USER:
		snprintf(buf, size, "vpn:%s", p->name);
		break;
	case FW_PLACE_VPN:
		snprintf(buf, size, "vpn");
		break;
	case FW_PLACE_SITE:
		snprintf(buf, size, "site:%s", p->name);
		break;
	case FW_PLACE_INTERNET:
		snprintf(buf, size, "internet");
		break;
	}
	return buf;
}

const struct fw_tenant *fw_locate_tenant(const struct fw_policy *p, const char *name)
{
	for (size_t i = 0; p && i < p->n_tenants; i++)
		if (!strcmp(p->tenants[i].name, name))
			return &p->tenants[i];
	return NULL;
}

int fw_log_prefix_parse(const char *prefix, char *tenant, size_t tenant_size, char *id,
                        size_t id_size)
{
	const char *t, *colon;
	size_t tlen, ilen;

	if (strncmp(prefix, "fwd:", 4))
		return -EINVAL;
	t = prefix + 4;
	colon = strchr(t, ':');
	if (!colon)
		return -EINVAL;
	tlen = (size_t)(colon - t);
	ilen = strlen(colon + 1);
	while (ilen && colon[ilen] == ' ')
		ilen--;
	if (tlen == 0 || tlen >= tenant_size || ilen == 0 || ilen >= id_size)
		return -EINVAL;
	memcpy(tenant, t, tlen);
	tenant[tlen] = '\0';
	memcpy(id, colon + 1, ilen);
	id[ilen] = '\0';
	return 0;
}

void fw_locate_rule(const struct fw_tenant *t, const char *id, struct fw_rule_place *ret)
{
	*ret = (struct fw_rule_place){.deny = !strncmp(id, "deny:", 5)};
	if (ret->deny || !t)
		return;
	for (size_t i = 0; i < t->n_rules; i++)
		if (!strcmp(t->rules[i].id, id)) {
			ret->section = "rules";
			ret->loc = &t->rules[i].loc;
			return;
		}
	for (size_t i = 0; i < t->n_publish; i++)
		if (!strcmp(t->publish[i].id, id)) {
			ret->section = "publish";
			ret->loc = &t->publish[i].loc;
			return;
		}
	for (size_t i = 0; i < t->n_egress; i++)
		if (!strcmp(t->egress[i].id, id)) {
			ret->section = "egress";
			ret->loc = &t->egress[i].loc;
			return;
		}
	for (size_t i = 0; i < t->n_mgmt; i++)
		if (!strcmp(t->mgmt[i].id, id)) {
			ret->section = "management";
			ret->loc = &t->mgmt[i].loc;
			return;
		}
}

const char *fw_rule_text(const char *id, char *buf, size_t size)
{
	if (!strncmp(id, "deny:", 5))
		snprintf(buf, size, "default deny (%s)", id + 5);
	else
		snprintf(buf, size, "%s", id);
	return buf;
}
