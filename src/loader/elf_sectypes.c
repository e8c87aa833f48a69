/* elf_sectypes.c - the program type of a section, by libbpf's conventions
 * (libbpf 1.x, strict mode): a pattern "name" matches only that name,
 * "name+" matches "name" or "name/anything", "name/" only "name/anything".
 * The first matching row wins, so longer names come before their prefixes.
 * Also the display names of program types (bpftool's). */
#include <string.h>

#include <linux/bpf.h>

#include "loader.h"

/* Attach types newer than the installed <linux/bpf.h> (Linux 6.1): the
 * kernel's values. */
enum {
	LDR_ATTACH_TRACE_KPROBE_MULTI = 42,
	LDR_ATTACH_LSM_CGROUP = 43,
	LDR_ATTACH_NETFILTER = 45,
	LDR_ATTACH_TCX_INGRESS = 46,
	LDR_ATTACH_TCX_EGRESS = 47,
	LDR_ATTACH_TRACE_UPROBE_MULTI = 48,
	LDR_ATTACH_CGROUP_UNIX_CONNECT = 49,
	LDR_ATTACH_CGROUP_UNIX_SENDMSG = 50,
	LDR_ATTACH_CGROUP_UNIX_RECVMSG = 51,
	LDR_ATTACH_CGROUP_UNIX_GETPEERNAME = 52,
	LDR_ATTACH_CGROUP_UNIX_GETSOCKNAME = 53,
	LDR_ATTACH_NETKIT_PRIMARY = 54,
	LDR_ATTACH_NETKIT_PEER = 55,
	LDR_ATTACH_TRACE_KPROBE_SESSION = 56,
	LDR_ATTACH_TRACE_UPROBE_SESSION = 57,
};
#define LDR_PROG_TYPE_NETFILTER 32

struct sec_type {
	const char *pattern;
	uint32_t type, attach;
};

#define T(x) BPF_PROG_TYPE_##x
static const struct sec_type sec_types[] = {
	{ "socket", T(SOCKET_FILTER), 0 },
	{ "sk_reuseport/migrate", T(SK_REUSEPORT), BPF_SK_REUSEPORT_SELECT_OR_MIGRATE },
	{ "sk_reuseport", T(SK_REUSEPORT), BPF_SK_REUSEPORT_SELECT },
	{ "kprobe.multi+", T(KPROBE), LDR_ATTACH_TRACE_KPROBE_MULTI },
	{ "kretprobe.multi+", T(KPROBE), LDR_ATTACH_TRACE_KPROBE_MULTI },
	{ "kprobe.session+", T(KPROBE), LDR_ATTACH_TRACE_KPROBE_SESSION },
	{ "uprobe.multi.s+", T(KPROBE), LDR_ATTACH_TRACE_UPROBE_MULTI },
	{ "uretprobe.multi.s+", T(KPROBE), LDR_ATTACH_TRACE_UPROBE_MULTI },
	{ "uprobe.multi+", T(KPROBE), LDR_ATTACH_TRACE_UPROBE_MULTI },
	{ "uretprobe.multi+", T(KPROBE), LDR_ATTACH_TRACE_UPROBE_MULTI },
	{ "uprobe.session.s+", T(KPROBE), LDR_ATTACH_TRACE_UPROBE_SESSION },
	{ "uprobe.session+", T(KPROBE), LDR_ATTACH_TRACE_UPROBE_SESSION },
	{ "kprobe+", T(KPROBE), 0 },
	{ "kretprobe+", T(KPROBE), 0 },
	{ "uprobe.s+", T(KPROBE), 0 },
	{ "uretprobe.s+", T(KPROBE), 0 },
	{ "uprobe+", T(KPROBE), 0 },
	{ "uretprobe+", T(KPROBE), 0 },
	{ "ksyscall+", T(KPROBE), 0 },
	{ "kretsyscall+", T(KPROBE), 0 },
	{ "usdt.s+", T(KPROBE), 0 },
	{ "usdt+", T(KPROBE), 0 },
	{ "tc/ingress", T(SCHED_CLS), LDR_ATTACH_TCX_INGRESS },
	{ "tc/egress", T(SCHED_CLS), LDR_ATTACH_TCX_EGRESS },
	{ "tcx/ingress", T(SCHED_CLS), LDR_ATTACH_TCX_INGRESS },
	{ "tcx/egress", T(SCHED_CLS), LDR_ATTACH_TCX_EGRESS },
	{ "tc", T(SCHED_CLS), 0 },
	{ "classifier", T(SCHED_CLS), 0 },
	{ "action", T(SCHED_ACT), 0 },
	{ "netkit/primary", T(SCHED_CLS), LDR_ATTACH_NETKIT_PRIMARY },
	{ "netkit/peer", T(SCHED_CLS), LDR_ATTACH_NETKIT_PEER },
	{ "tracepoint.s+", T(TRACEPOINT), 0 },
	{ "tracepoint+", T(TRACEPOINT), 0 },
	{ "tp.s+", T(TRACEPOINT), 0 },
	{ "tp+", T(TRACEPOINT), 0 },
	{ "raw_tracepoint.s+", T(RAW_TRACEPOINT), 0 },
	{ "raw_tracepoint.w+", T(RAW_TRACEPOINT_WRITABLE), 0 },
	{ "raw_tracepoint+", T(RAW_TRACEPOINT), 0 },
	{ "raw_tp.s+", T(RAW_TRACEPOINT), 0 },
	{ "raw_tp.w+", T(RAW_TRACEPOINT_WRITABLE), 0 },
	{ "raw_tp+", T(RAW_TRACEPOINT), 0 },
	{ "tp_btf.s+", T(TRACING), BPF_TRACE_RAW_TP },
	{ "tp_btf+", T(TRACING), BPF_TRACE_RAW_TP },
	{ "fentry.s+", T(TRACING), BPF_TRACE_FENTRY },
	{ "fentry+", T(TRACING), BPF_TRACE_FENTRY },
	{ "fmod_ret.s+", T(TRACING), BPF_MODIFY_RETURN },
	{ "fmod_ret+", T(TRACING), BPF_MODIFY_RETURN },
	{ "fexit.s+", T(TRACING), BPF_TRACE_FEXIT },
	{ "fexit+", T(TRACING), BPF_TRACE_FEXIT },
	{ "freplace+", T(EXT), 0 },
	{ "lsm.s+", T(LSM), BPF_LSM_MAC },
	{ "lsm_cgroup+", T(LSM), LDR_ATTACH_LSM_CGROUP },
	{ "lsm+", T(LSM), BPF_LSM_MAC },
	{ "iter.s+", T(TRACING), BPF_TRACE_ITER },
	{ "iter+", T(TRACING), BPF_TRACE_ITER },
	{ "syscall", T(SYSCALL), 0 },
	{ "xdp.frags/devmap", T(XDP), BPF_XDP_DEVMAP },
	{ "xdp/devmap", T(XDP), BPF_XDP_DEVMAP },
	{ "xdp.frags/cpumap", T(XDP), BPF_XDP_CPUMAP },
	{ "xdp/cpumap", T(XDP), BPF_XDP_CPUMAP },
	{ "xdp.frags", T(XDP), BPF_XDP },
	{ "xdp", T(XDP), BPF_XDP },
	{ "perf_event", T(PERF_EVENT), 0 },
	{ "lwt_in", T(LWT_IN), 0 },
	{ "lwt_out", T(LWT_OUT), 0 },
	{ "lwt_xmit", T(LWT_XMIT), 0 },
	{ "lwt_seg6local", T(LWT_SEG6LOCAL), 0 },
	{ "sockops", T(SOCK_OPS), BPF_CGROUP_SOCK_OPS },
	{ "sk_skb/stream_parser", T(SK_SKB), BPF_SK_SKB_STREAM_PARSER },
	{ "sk_skb/stream_verdict", T(SK_SKB), BPF_SK_SKB_STREAM_VERDICT },
	{ "sk_skb/verdict", T(SK_SKB), BPF_SK_SKB_VERDICT },
	{ "sk_skb", T(SK_SKB), 0 },
	{ "sk_msg", T(SK_MSG), BPF_SK_MSG_VERDICT },
	{ "lirc_mode2", T(LIRC_MODE2), BPF_LIRC_MODE2 },
	{ "flow_dissector", T(FLOW_DISSECTOR), BPF_FLOW_DISSECTOR },
	{ "cgroup_skb/ingress", T(CGROUP_SKB), BPF_CGROUP_INET_INGRESS },
	{ "cgroup_skb/egress", T(CGROUP_SKB), BPF_CGROUP_INET_EGRESS },
	{ "cgroup/skb", T(CGROUP_SKB), 0 },
	{ "cgroup/sock_create", T(CGROUP_SOCK), BPF_CGROUP_INET_SOCK_CREATE },
	{ "cgroup/sock_release", T(CGROUP_SOCK), BPF_CGROUP_INET_SOCK_RELEASE },
	{ "cgroup/sock", T(CGROUP_SOCK), BPF_CGROUP_INET_SOCK_CREATE },
	{ "cgroup/post_bind4", T(CGROUP_SOCK), BPF_CGROUP_INET4_POST_BIND },
	{ "cgroup/post_bind6", T(CGROUP_SOCK), BPF_CGROUP_INET6_POST_BIND },
	{ "cgroup/bind4", T(CGROUP_SOCK_ADDR), BPF_CGROUP_INET4_BIND },
	{ "cgroup/bind6", T(CGROUP_SOCK_ADDR), BPF_CGROUP_INET6_BIND },
	{ "cgroup/connect4", T(CGROUP_SOCK_ADDR), BPF_CGROUP_INET4_CONNECT },
	{ "cgroup/connect6", T(CGROUP_SOCK_ADDR), BPF_CGROUP_INET6_CONNECT },
	{ "cgroup/connect_unix", T(CGROUP_SOCK_ADDR), LDR_ATTACH_CGROUP_UNIX_CONNECT },
	{ "cgroup/sendmsg4", T(CGROUP_SOCK_ADDR), BPF_CGROUP_UDP4_SENDMSG },
	{ "cgroup/sendmsg6", T(CGROUP_SOCK_ADDR), BPF_CGROUP_UDP6_SENDMSG },
	{ "cgroup/sendmsg_unix", T(CGROUP_SOCK_ADDR), LDR_ATTACH_CGROUP_UNIX_SENDMSG },
	{ "cgroup/recvmsg4", T(CGROUP_SOCK_ADDR), BPF_CGROUP_UDP4_RECVMSG },
	{ "cgroup/recvmsg6", T(CGROUP_SOCK_ADDR), BPF_CGROUP_UDP6_RECVMSG },
	{ "cgroup/recvmsg_unix", T(CGROUP_SOCK_ADDR), LDR_ATTACH_CGROUP_UNIX_RECVMSG },
	{ "cgroup/getpeername4", T(CGROUP_SOCK_ADDR), BPF_CGROUP_INET4_GETPEERNAME },
	{ "cgroup/getpeername6", T(CGROUP_SOCK_ADDR), BPF_CGROUP_INET6_GETPEERNAME },
	{ "cgroup/getpeername_unix", T(CGROUP_SOCK_ADDR), LDR_ATTACH_CGROUP_UNIX_GETPEERNAME },
	{ "cgroup/getsockname4", T(CGROUP_SOCK_ADDR), BPF_CGROUP_INET4_GETSOCKNAME },
	{ "cgroup/getsockname6", T(CGROUP_SOCK_ADDR), BPF_CGROUP_INET6_GETSOCKNAME },
	{ "cgroup/getsockname_unix", T(CGROUP_SOCK_ADDR), LDR_ATTACH_CGROUP_UNIX_GETSOCKNAME },
	{ "cgroup/sysctl", T(CGROUP_SYSCTL), BPF_CGROUP_SYSCTL },
	{ "cgroup/getsockopt", T(CGROUP_SOCKOPT), BPF_CGROUP_GETSOCKOPT },
	{ "cgroup/setsockopt", T(CGROUP_SOCKOPT), BPF_CGROUP_SETSOCKOPT },
	{ "cgroup/dev", T(CGROUP_DEVICE), BPF_CGROUP_DEVICE },
	{ "struct_ops.s+", T(STRUCT_OPS), 0 },
	{ "struct_ops+", T(STRUCT_OPS), 0 },
	{ "sk_lookup", T(SK_LOOKUP), BPF_SK_LOOKUP },
	{ "netfilter", LDR_PROG_TYPE_NETFILTER, LDR_ATTACH_NETFILTER },
};
#undef T

static int matches(const char *pattern, const char *sec)
{
	size_t n = strlen(pattern);
	if (pattern[n - 1] == '+') {
		n--;
		return strncmp(sec, pattern, n) == 0 && (sec[n] == '\0' || sec[n] == '/');
	}
	if (pattern[n - 1] == '/')
		return strncmp(sec, pattern, n) == 0;
	return strcmp(sec, pattern) == 0;
}

int ldr_sec_prog_type(const char *sec, uint32_t *type, uint32_t *attach)
{
	*type = 0;
	*attach = 0;
	for (size_t i = 0; i < sizeof(sec_types) / sizeof(sec_types[0]); i++) {
		if (matches(sec_types[i].pattern, sec)) {
			*type = sec_types[i].type;
			*attach = sec_types[i].attach;
			return 1;
		}
	}
	return 0;
}

static const char *const type_names[] = {
	"unspec", "socket_filter", "kprobe", "sched_cls", "sched_act", "tracepoint", "xdp", "perf_event",
	"cgroup_skb", "cgroup_sock", "lwt_in", "lwt_out", "lwt_xmit", "sock_ops", "sk_skb", "cgroup_device",
	"sk_msg", "raw_tracepoint", "cgroup_sock_addr", "lwt_seg6local", "lirc_mode2", "sk_reuseport",
	"flow_dissector", "cgroup_sysctl", "raw_tracepoint_writable", "cgroup_sockopt", "tracing", "struct_ops",
	"ext", "lsm", "sk_lookup", "syscall", "netfilter",
};

const char *ldr_prog_type_name(uint32_t type)
{
	return type < sizeof(type_names) / sizeof(type_names[0]) ? type_names[type] : "unknown";
}
