/* cmd_disasm_jit.c - `bpfvm disasm --jit PROGRAM [--checked]`: loads the
 * program with BPFVM_PROG_F_JIT (and its maps and helpers, as `bpfvm run`
 * does) and prints the x86-64 code of its trusted or runtime-checked image,
 * decoded with capstone, interleaved with the eBPF instructions:
 *
 *   ; entry trampoline            code before insn_off[0]
 *   	0000:  55     push rbp
 *          0:	r0 = 2              each eBPF instruction ("%8zu:\t<text>")
 *   	005b:  b8 02 00 00 00  mov eax, 2     then its native code
 *   ; shared slow paths and out-of-line stubs   from insn_off[n] on
 *
 * Native lines start with a tab, the image offset in hex and a colon; relative
 * branches and calls get "; <insn N>", "; <entry+0x..>" or "; <stubs+0x..>",
 * and the addresses of the JIT's run-time services their names. Bytes that
 * do not decode print as "(bad)". Without capstone (BPFVM_HAVE_CAPSTONE
 * unset at build time) the native code is shown as bytes only. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#ifdef BPFVM_HAVE_CAPSTONE
#include <capstone/capstone.h>
#endif

#include "cli_elf.h"
#include "cli_jit.h"
#include "cli_maps.h"
#include "cli_run.h"
#include "cli_util.h"
#include "jit/jit.h"
#include "vm.h"

#define BYTES_COLUMN 12 /* instruction bytes shown before the mnemonic column */

struct listing {
	FILE *out;
	const uint8_t *code;
	size_t len;
	const uint32_t *off;  /* n + 1 instruction offsets */
	size_t n;
	int width;            /* hex digits of an offset */
	int bytes;
#ifdef BPFVM_HAVE_CAPSTONE
	csh cs;
	cs_insn *insn;
#endif
};

#ifdef BPFVM_HAVE_CAPSTONE
/* The run-time services generated code calls through `movabs r11, ADDR`. */
static const struct {
	const void *fn;
	const char *name;
} services[] = {
	{(const void *)vm_jit_check, "vm_jit_check"},
	{(const void *)vm_jit_budget_out, "vm_jit_budget_out"},
	{(const void *)vm_jit_pkt_load, "vm_jit_pkt_load"},
	{(const void *)vm_jit_callx, "vm_jit_callx"},
	{(const void *)vm_jit_tail_call, "vm_jit_tail_call"},
	{(const void *)vm_jit_fault, "vm_jit_fault"},
};

/* Names a branch target t (an offset in the image). */
static void target_name(const struct listing *l, uint64_t t, char *buf, size_t len)
{
	if (t < l->off[0]) {
		snprintf(buf, len, t ? "<entry+0x%" PRIx64 ">" : "<entry>", t);
	} else if (t < l->off[l->n]) {
		/* the instruction whose code holds t: the last pc with off[pc] <= t
		 * (instructions without code share their offset with the next) */
		size_t lo = 0, hi = l->n;
		while (hi - lo > 1) {
			size_t mid = lo + (hi - lo) / 2;
			if (l->off[mid] <= t)
				lo = mid;
			else
				hi = mid;
		}
		if (t == l->off[lo])
			snprintf(buf, len, "<insn %zu>", lo);
		else
			snprintf(buf, len, "<insn %zu+0x%" PRIx64 ">", lo, t - l->off[lo]);
	} else if (t < l->len) {
		snprintf(buf, len, t > l->off[l->n] ? "<stubs+0x%" PRIx64 ">" : "<stubs>", t - l->off[l->n]);
	} else {
		snprintf(buf, len, "<outside the image>");
	}
}

static void print_native(const struct listing *l, uint64_t addr, const uint8_t *b, size_t size, const char *mnemonic,
			 const char *ops, const char *note)
{
	fprintf(l->out, "\t%0*" PRIx64 ":  ", l->width, addr);
	if (l->bytes) {
		for (size_t i = 0; i < size; i++)
			fprintf(l->out, "%02x ", b[i]);
		for (size_t i = size; i < BYTES_COLUMN; i++)
			fputs("   ", l->out);
		fputc(' ', l->out);
	}
	fputs(mnemonic, l->out);
	if (ops && *ops)
		fprintf(l->out, " %s", ops);
	if (note && *note)
		fprintf(l->out, "\t; %s", note);
	fputc('\n', l->out);
}

/* A comment for the decoded instruction: branch targets, service names. */
static void annotate(const struct listing *l, const cs_insn *in, char *note, size_t len)
{
	note[0] = 0;
	const cs_x86 *x = &in->detail->x86;
	int branch = cs_insn_group(l->cs, in, CS_GRP_JUMP) || cs_insn_group(l->cs, in, CS_GRP_CALL);
	for (int i = 0; i < x->op_count; i++) {
		if (x->operands[i].type != X86_OP_IMM)
			continue;
		uint64_t v = (uint64_t)x->operands[i].imm;
		if (branch) {
			target_name(l, v, note, len);
			return;
		}
		for (size_t k = 0; k < sizeof(services) / sizeof(services[0]); k++)
			if (v == (uint64_t)(uintptr_t)services[k].fn) {
				snprintf(note, len, "%s", services[k].name);
				return;
			}
	}
}
#endif

/* The native instructions in [start, end). */
static void print_range(struct listing *l, size_t start, size_t end)
{
#ifdef BPFVM_HAVE_CAPSTONE
	const uint8_t *p = l->code + start;
	size_t left = end - start;
	uint64_t addr = start;
	char note[64];
	while (left) {
		if (!cs_disasm_iter(l->cs, &p, &left, &addr, l->insn)) {
			char ops[16];
			snprintf(ops, sizeof(ops), ".byte 0x%02x", *p);
			print_native(l, addr, p, 1, "(bad)", ops, "");
			p++;
			left--;
			addr++;
			continue;
		}
		annotate(l, l->insn, note, sizeof(note));
		print_native(l, l->insn->address, l->insn->bytes, l->insn->size, l->insn->mnemonic, l->insn->op_str, note);
	}
#else
	for (size_t a = start; a < end; a += 16) {
		size_t k = end - a < 16 ? end - a : 16;
		fprintf(l->out, "\t%0*zx:  ", l->width, a);
		for (size_t i = 0; i < k; i++)
			fprintf(l->out, "%s%02x", i ? " " : "", l->code[a + i]);
		fputc('\n', l->out);
	}
#endif
}

int cli_jit_listing(FILE *out, const char *file, const bpfvm_prog *prog, const struct cli_jit_listing_opts *o)
{
	struct listing l;
	memset(&l, 0, sizeof(l));
	l.out = out;
	l.bytes = o->bytes;
	l.code = bpfvm_prog_jit_image(prog, o->checked, &l.len, &l.off);
	const struct bpf_insn *insns = bpfvm_prog_insns(prog, &l.n);
	if (!l.code || !l.off) {
		cli_error(file, NULL, "no %s JIT image (the program was not loaded with BPFVM_PROG_F_JIT%s)",
			  o->checked ? "runtime-checked" : "trusted", o->checked ? "" : " and BPFVM_PROG_F_TRUSTED");
		return CLI_EXIT_UNSUPP;
	}
	l.width = 4;
	while (l.width < 16 && (l.len - 1) >> (4 * l.width))
		l.width++;
#ifdef BPFVM_HAVE_CAPSTONE
	if (cs_open(CS_ARCH_X86, CS_MODE_64, &l.cs) != CS_ERR_OK) {
		cli_error(file, NULL, "capstone cannot decode x86-64 here (cs_open failed)");
		return CLI_EXIT_UNSUPP;
	}
	cs_option(l.cs, CS_OPT_DETAIL, CS_OPT_ON);
	l.insn = cs_malloc(l.cs);
	if (!l.insn) {
		cs_close(&l.cs);
		cli_error(file, NULL, "out of memory");
		return CLI_EXIT_INPUT;
	}
#endif

	fprintf(out, "; %s: x86-64 code of the %s image, %zu bytes for %zu eBPF slots\n", file,
		o->checked ? "runtime-checked" : "trusted", l.len, l.n);
#ifndef BPFVM_HAVE_CAPSTONE
	fprintf(out, "; (built without capstone: the native code is shown as bytes, not decoded)\n");
#endif
	fprintf(out, "; entry trampoline\n");
	print_range(&l, 0, l.off[0]);
	char text[256];
	for (size_t pc = 0; pc < l.n;) {
		text[0] = 0;
		int k = bpfvm_disasm_insn(insns, l.n, pc, o->syntax, 0, text, sizeof(text));
		const struct bpf_insn *in = &insns[pc];
		if (k == 2 && (in->src_reg == BPF_PSEUDO_MAP_IDX || in->src_reg == BPF_PSEUDO_MAP_IDX_VALUE) &&
		    in->imm >= 0 && (size_t)in->imm < o->nmaps)
			fprintf(out, "%8zu:\t%s # map %s\n", pc, text, o->maps[in->imm].name);
		else
			fprintf(out, "%8zu:\t%s\n", pc, text);
		size_t next = pc + (k > 0 ? (size_t)k : 1);
		if (next > l.n)
			next = l.n;
		print_range(&l, l.off[pc], l.off[next]);
		pc = next;
	}
	fprintf(out, "; shared slow paths and out-of-line stubs\n");
	print_range(&l, l.off[l.n], l.len);
#ifdef BPFVM_HAVE_CAPSTONE
	cs_free(l.insn, 1);
	cs_close(&l.cs);
#endif
	return 0;
}

/* ELF objects: every program (or --program NAME), each after a line naming
 * it, with the object's maps named after lddw. */
static int disasm_jit_elf(const char *in, const char *name, const struct cli_disasm_jit_cfg *cfg)
{
	bpfvm_env *env = bpfvm_env_new();
	if (!env) {
		cli_error(name, NULL, "out of memory");
		return CLI_EXIT_INPUT;
	}
	bpfvm_obj *obj = NULL;
	struct bpfvm_asm_map *names = NULL;
	uint32_t flags = BPFVM_PROG_F_JIT | (cfg->checked ? BPFVM_PROG_F_NO_VERIFY : BPFVM_PROG_F_TRUSTED);
	int rc = cli_elf_open(in, env, BPFVM_OBJ_F_KEEP_GOING, flags, &obj);
	if (rc)
		goto out;
	size_t nmaps = bpfvm_obj_map_count(obj), first = 0, last = bpfvm_obj_prog_count(obj);
	names = calloc(nmaps + 1, sizeof(*names));
	if (!names) {
		cli_error(name, NULL, "out of memory");
		rc = CLI_EXIT_INPUT;
		goto out;
	}
	for (size_t i = 0; i < nmaps; i++)
		snprintf(names[i].name, sizeof(names[i].name), "%s", bpfvm_obj_map(obj, i)->env_name);
	if (cfg->want) {
		if ((rc = cli_elf_pick(name, obj, cfg->want, &first)))
			goto out;
		last = first + 1;
	}
	for (size_t i = first; i < last; i++) {
		const struct bpfvm_obj_prog_info *pi = bpfvm_obj_prog(obj, i);
		if (!pi->prog) {
			fflush(stdout);
			cli_error(name, NULL, "program %s (section %s): %s", pi->name, pi->section,
				  pi->load_msg && pi->load_msg[0] ? pi->load_msg : "not loaded");
			rc = pi->load_error ? cli_exit_for(pi->load_error, 1) : CLI_EXIT_PROG;
			goto out;
		}
		printf("%sprogram %s (section %s):\n", i > first ? "\n" : "", pi->name, pi->section);
		struct cli_jit_listing_opts lo = {
			.syntax = cfg->syntax, .checked = cfg->checked, .bytes = cfg->bytes, .maps = names, .nmaps = nmaps,
		};
		if ((rc = cli_jit_listing(stdout, name, pi->prog, &lo)))
			goto out;
	}
	if (fflush(stdout) != 0) {
		cli_error("<stdout>", NULL, "write error");
		rc = CLI_EXIT_INPUT;
	}
out:
	free(names);
	if (obj)
		bpfvm_obj_close(obj);
	bpfvm_env_free(env);
	return rc;
}

int cli_disasm_jit(const char *in, const struct cli_disasm_jit_cfg *cfg)
{
	if (!bpfvm_jit_available()) {
		cli_error(NULL, "disasm", "the JIT needs an x86-64 host: there is no native code to show");
		return CLI_EXIT_UNSUPP;
	}
	const char *name = strcmp(in, "-") == 0 ? "<stdin>" : in;
	if (cli_elf_is_object(in, cfg->format)) {
		const char *why = cfg->have_type ? "--type cannot be used with ELF objects (the program's section gives its type)"
				  : cfg->nmaps ? "--map cannot be used with ELF objects (they declare their own maps)"
				  : cfg->helpers == CLI_HELPERS_CONFORMANCE ? "--helpers conformance cannot be used with ELF objects"
									    : NULL;
		if (why)
			return cli_usage_error("disasm", "%s", why);
		return disasm_jit_elf(in, name, cfg);
	}
	if (cfg->want)
		return cli_usage_error("disasm", "--program needs an ELF object");
	struct cli_program pf;
	int rc = cli_load_program(in, cfg->format, BPFVM_SYNTAX_AUTO, cfg->maps, cfg->nmaps, &pf);
	if (rc)
		return rc;
	uint32_t type = cfg->have_type ? cfg->type : BPFVM_PROG_TYPE_RAW;
	bpfvm_prog *prog = NULL;
	bpfvm_env *env = bpfvm_env_new();
	int *fds = calloc(pf.nmaps + 1, sizeof(*fds));
	if (!env || !fds) {
		cli_error(name, NULL, "out of memory");
		rc = CLI_EXIT_INPUT;
		goto out;
	}
	int helpers = cfg->helpers;
	if (helpers == CLI_HELPERS_DEFAULT) /* as `bpfvm run` without packets */
		helpers = type == BPFVM_PROG_TYPE_RAW && pf.nmaps == 0 ? CLI_HELPERS_CONFORMANCE : CLI_HELPERS_KERNEL;
	if (helpers == CLI_HELPERS_CONFORMANCE)
		vm_register_conformance_helpers(env);
	if ((rc = cli_create_maps(env, name, pf.maps, pf.nmaps, fds)))
		goto out;

	struct bpfvm_error err;
	memset(&err, 0, sizeof(err));
	err.insn = -1;
	err.offset = -1;
	struct bpfvm_prog_opts popts = {
		.sz = sizeof(popts), .name = cli_basename(name),
		.flags = BPFVM_PROG_F_JIT | (cfg->checked ? BPFVM_PROG_F_NO_VERIFY : BPFVM_PROG_F_TRUSTED), .type = type,
		.fd_array = fds, .fd_array_len = pf.nmaps,
	};
	int lrc = bpfvm_prog_load(env, pf.insns, pf.n, &popts, &prog, &err);
	if (lrc < 0) {
		cli_error_lib(name, &err);
		rc = cli_exit_for(lrc, 1);
		goto out;
	}
	struct cli_jit_listing_opts lo = {
		.syntax = cfg->syntax, .checked = cfg->checked, .bytes = cfg->bytes, .maps = pf.maps, .nmaps = pf.nmaps,
	};
	if ((rc = cli_jit_listing(stdout, name, prog, &lo)))
		goto out;
	if (fflush(stdout) != 0) {
		cli_error("<stdout>", NULL, "write error");
		rc = CLI_EXIT_INPUT;
	}
out:
	if (prog)
		bpfvm_prog_free(prog);
	if (env)
		bpfvm_env_free(env);
	cli_program_free(&pf);
	free(fds);
	return rc;
}
