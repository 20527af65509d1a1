// SPDX-License-Identifier: GPL-2.0-or-later
/* The built-in service catalogue: common services by name, sorted. */
#include <string.h>

#include "fwd/policy.h"
#include "util.h"

#define TCP(a, b)                                                                                  \
	{                                                                                          \
		.proto = 6, .lo = (a), .hi = (b)                                                   \
	}
#define UDP(a, b)                                                                                  \
	{                                                                                          \
		.proto = 17, .lo = (a), .hi = (b)                                                  \
	}
#define ICMP                                                                                       \
	{                                                                                          \
		.proto = 1, .lo = 0, .hi = 65535                                                   \
	}

/* Everything a Windows domain member needs from a domain controller. */
static struct fw_port_spec p_ad[] = {
    UDP(53, 53),   TCP(53, 53),   TCP(88, 88),   UDP(88, 88),     UDP(123, 123),
    TCP(135, 135), TCP(139, 139), TCP(389, 389), UDP(389, 389),   TCP(445, 445),
    TCP(464, 464), UDP(464, 464), TCP(636, 636), TCP(3268, 3269), TCP(49152, 65535),
};
static struct fw_port_spec p_dhcp[] = {UDP(67, 68)};
static struct fw_port_spec p_dns[] = {UDP(53, 53), TCP(53, 53)};
static struct fw_port_spec p_ftp[] = {TCP(21, 21)};
static struct fw_port_spec p_gc[] = {TCP(3268, 3269)};
static struct fw_port_spec p_http[] = {TCP(80, 80)};
static struct fw_port_spec p_https[] = {TCP(443, 443)};
static struct fw_port_spec p_icmp[] = {ICMP};
static struct fw_port_spec p_imap[] = {TCP(143, 143)};
static struct fw_port_spec p_imaps[] = {TCP(993, 993)};
static struct fw_port_spec p_kerberos[] = {TCP(88, 88), UDP(88, 88)};
static struct fw_port_spec p_kpasswd[] = {TCP(464, 464), UDP(464, 464)};
static struct fw_port_spec p_ldap[] = {TCP(389, 389), UDP(389, 389)};
static struct fw_port_spec p_ldaps[] = {TCP(636, 636)};
static struct fw_port_spec p_msrpc[] = {TCP(135, 135)};
static struct fw_port_spec p_mssql[] = {TCP(1433, 1433)};
static struct fw_port_spec p_mysql[] = {TCP(3306, 3306)};
static struct fw_port_spec p_netbios[] = {UDP(137, 138), TCP(139, 139)};
static struct fw_port_spec p_ntp[] = {UDP(123, 123)};
static struct fw_port_spec p_pop3s[] = {TCP(995, 995)};
static struct fw_port_spec p_postgres[] = {TCP(5432, 5432)};
static struct fw_port_spec p_rdp[] = {TCP(3389, 3389), UDP(3389, 3389)};
static struct fw_port_spec p_rpcdyn[] = {TCP(49152, 65535)};
static struct fw_port_spec p_smb[] = {TCP(445, 445), TCP(139, 139)};
static struct fw_port_spec p_smtp[] = {TCP(25, 25)};
static struct fw_port_spec p_smtps[] = {TCP(465, 465)};
static struct fw_port_spec p_snmp[] = {UDP(161, 161)};
static struct fw_port_spec p_ssh[] = {TCP(22, 22)};
static struct fw_port_spec p_submission[] = {TCP(587, 587)};
static struct fw_port_spec p_syslog[] = {UDP(514, 514)};
static struct fw_port_spec p_winrm[] = {TCP(5985, 5986)};
static struct fw_port_spec p_wireguard[] = {UDP(51820, 51820)};

#define SVC(n, p)                                                                                  \
	{                                                                                          \
		.name = (char *)(n), .ports = (p), .n_ports = ARRAY_SIZE(p), .builtin = true       \
	}

/* Sorted by name: fw_catalogue_find() bisects. */
static const struct fw_service catalogue[] = {
    SVC("ad", p_ad),
    SVC("dhcp", p_dhcp),
    SVC("dns", p_dns),
    SVC("ftp", p_ftp),
    SVC("global-catalog", p_gc),
    SVC("http", p_http),
    SVC("https", p_https),
    SVC("icmp", p_icmp),
    SVC("imap", p_imap),
    SVC("imaps", p_imaps),
    SVC("kerberos", p_kerberos),
    SVC("kpasswd", p_kpasswd),
    SVC("ldap", p_ldap),
    SVC("ldaps", p_ldaps),
    SVC("msrpc", p_msrpc),
    SVC("mssql", p_mssql),
    SVC("mysql", p_mysql),
    SVC("netbios", p_netbios),
    SVC("ntp", p_ntp),
    SVC("ping", p_icmp),
    SVC("pop3s", p_pop3s),
    SVC("postgres", p_postgres),
    SVC("rdp", p_rdp),
    SVC("rpc-dynamic", p_rpcdyn),
    SVC("smb", p_smb),
    SVC("smtp", p_smtp),
    SVC("smtps", p_smtps),
    SVC("snmp", p_snmp),
    SVC("ssh", p_ssh),
    SVC("submission", p_submission),
    SVC("syslog", p_syslog),
    SVC("winrm", p_winrm),
    SVC("wireguard", p_wireguard),
};

const struct fw_service *fw_catalogue_find(const char *name)
{
	size_t lo = 0, hi = ARRAY_SIZE(catalogue);

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int c = strcmp(name, catalogue[mid].name);
		if (c == 0)
			return &catalogue[mid];
		if (c < 0)
			hi = mid;
		else
			lo = mid + 1;
	}
	return NULL;
}

size_t fw_catalogue_size(void)
{
	return ARRAY_SIZE(catalogue);
}

const struct fw_service *fw_catalogue_at(size_t i)
{
	return i < ARRAY_SIZE(catalogue) ? &catalogue[i] : NULL;
}
