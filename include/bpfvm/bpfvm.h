/* bpfvm.h - the public API of bpfvm, a userspace eBPF virtual machine.
 *
 * Objects and owners:
 *   bpfvm_env   the environment: helper registry (later maps, program types,
 *               options). Created by bpfvm_env_new, freed by bpfvm_env_free
 *               after every program loaded in it is freed.
 *   bpfvm_prog  a loaded program: validated code, pre-decoded for the engines.
 *               Immutable once loaded; may be run from several threads at once.
 *   bpfvm_exec  one run's execution state (registers, stack, budget). Lives
 *               only during bpfvm_prog_run; helpers receive it.
 *
 * Functions return 0 (or a count) on success and a negative BPFVM_E* code on
 * failure; when an error struct is passed it receives a one-line message and
 * the position (instruction index, line:column or file offset). The library
 * never prints. */
#ifndef BPFVM_BPFVM_H
#define BPFVM_BPFVM_H

#include <stddef.h>
#include <stdint.h>

#include "bpfvm/insn.h"

#ifdef __cplusplus
extern "C" {
#endif

#define BPFVM_MAX_INSNS 1000000     /* largest program accepted, in slots */
#define BPFVM_STACK_SIZE 512        /* bytes of stack per call frame */
#define BPFVM_MAX_CALL_DEPTH 7      /* nested bpf-to-bpf calls below the entry frame: 8 frames in all, the kernel's MAX_CALL_FRAMES */
#define BPFVM_DEFAULT_BUDGET 10000000ULL /* instructions a checked run may execute */

enum bpfvm_errcode {
	BPFVM_OK = 0,
	BPFVM_EINVAL = -1,   /* bad argument to a library call */
	BPFVM_ENOMEM = -2,   /* allocation failed */
	BPFVM_EDECODE = -3,  /* malformed bytecode (err.insn says where) */
	BPFVM_EASM = -4,     /* assembly syntax error (err.line, err.column) */
	BPFVM_EFAULT = -5,   /* run time: memory access outside every region */
	BPFVM_EBUDGET = -6,  /* run time: instruction budget exhausted */
	BPFVM_EHELPER = -7,  /* unknown helper, at load or (callx) at run time */
	BPFVM_ESTACK = -8,   /* run time: call depth exceeded */
	BPFVM_EIO = -9,      /* reading or writing a file */
	BPFVM_EUNSUPP = -10, /* valid eBPF that bpfvm cannot run (yet) */
	BPFVM_EFORMAT = -11, /* malformed input file (err.offset says where) */
	BPFVM_EVERIFY = -12, /* the verifier rejected the program (err.insn, err.msg say why) */
};

struct bpfvm_error {
	int code;        /* enum bpfvm_errcode */
	long insn;       /* instruction index, or -1 */
	int line, column;/* 1-based assembly position, or 0 */
	long offset;     /* byte offset in an input file, or -1 */
	char msg[256];   /* one line, without the position */
};

/* Writes "insn 3: unknown opcode 0xff" (or "line 2:5: ...", "offset 17: ...")
 * into buf; returns buf. */
const char *bpfvm_error_format(const struct bpfvm_error *err, char *buf, size_t len);
/* A short constant description of a BPFVM_E* code. */
const char *bpfvm_strerror(int code);

/* ---- environment and helpers ---- */

typedef struct bpfvm_env bpfvm_env;
typedef struct bpfvm_prog bpfvm_prog;
typedef struct bpfvm_exec bpfvm_exec;

/* A helper: r1..r5 in, r0 out. exec gives access to the run (cookie, stop). */
typedef uint64_t (*bpfvm_helper_fn)(uint64_t r1, uint64_t r2, uint64_t r3, uint64_t r4, uint64_t r5,
				    bpfvm_exec *exec);

/* Returns a new environment with no helpers, or NULL when out of memory. */
bpfvm_env *bpfvm_env_new(void);
void bpfvm_env_free(bpfvm_env *env);

/* Registers (or replaces) helper id. name is copied and may be NULL. cookie
 * is handed back through bpfvm_exec_cookie while fn runs. */
int bpfvm_env_register_helper(bpfvm_env *env, uint32_t id, const char *name, bpfvm_helper_fn fn,
			      void *cookie);

/* Inside a helper: the cookie it was registered with. */
void *bpfvm_exec_cookie(const bpfvm_exec *exec);
/* Inside a helper: end the program when the helper returns, with r0 = value. */
void bpfvm_exec_stop(bpfvm_exec *exec, uint64_t r0);
/* Inside a helper: 1 if [addr, addr + len) lies in a region the program may
 * read (write = 0) or write (write = 1); helpers use it before touching
 * program-supplied pointers. */
int bpfvm_exec_check(const bpfvm_exec *exec, uint64_t addr, uint64_t len, int write);

/* ---- programs ---- */

enum bpfvm_prog_flags {
	/* Loading verifies by default: bpfvm_verify with the program's type
	 * and fd_array must prove the program safe (else the load fails with
	 * BPFVM_EVERIFY, err naming the instruction and the reason, and the
	 * log options below receive the verifier's log); a verified program
	 * then runs without bounds checks or budget on every engine
	 * (BPFVM_RUN_CHECKED or a trace hook still force the checks). */

	/* The caller vouches the program is safe: no verification, and runs
	 * without bounds checks or budget. */
	BPFVM_PROG_F_TRUSTED = 1u << 0,
	/* Compile to native code at load (x86-64 hosts; elsewhere the load
	 * fails with BPFVM_EUNSUPP): a runtime-checked image, and for verified
	 * or TRUSTED programs also an unchecked one. Runs then choose the
	 * engine with bpfvm_run_opts.engine = BPFVM_ENGINE_JIT. */
	BPFVM_PROG_F_JIT = 1u << 1,
	/* Verify at load: the default, spelled out (ignored with NO_VERIFY or
	 * TRUSTED). */
	BPFVM_PROG_F_VERIFY = 1u << 2,
	/* Skip the verifier: every run is runtime-checked (bounds of every
	 * access against the regions the run knows, an instruction budget),
	 * so any program that passes the structural checks may run, and a
	 * fault ends that run with an error instead. */
	BPFVM_PROG_F_NO_VERIFY = 1u << 3,
};

/* Program types: the kernel's numbering. 0 (BPF_PROG_TYPE_UNSPEC) is bpfvm's
 * raw-memory convention: r1 = memory, r2 = its length (the conformance suite's). */
#define BPFVM_PROG_TYPE_RAW 0

/* A global (non-static) function of a program, as BTF describes it (clang
 * -g): the kernel verifies it once on its own, for any arguments of its
 * declared types, and a call to it only checks the arguments (r0 is then an
 * unknown scalar). The ELF loader fills these from the object's BTF. */
enum bpfvm_func_arg {
	BPFVM_FUNC_ARG_SCALAR = 1,   /* integers, enums: any value */
	BPFVM_FUNC_ARG_CTX,          /* pointer to the program's context */
	BPFVM_FUNC_ARG_MEM,          /* pointer to arg_size bytes, or NULL */
	BPFVM_FUNC_ARG_UNSUPPORTED,  /* a type the verifier cannot check (void *, ...) */
};
struct bpfvm_func_info {
	uint32_t insn;               /* the function's first slot */
	const char *name;
	uint8_t nargs;
	uint8_t arg[5];              /* enum bpfvm_func_arg */
	uint32_t arg_size[5];
};

struct bpfvm_prog_opts {
	size_t sz;         /* sizeof(struct bpfvm_prog_opts) */
	const char *name;  /* copied; NULL for "prog" */
	uint32_t flags;    /* enum bpfvm_prog_flags */
	uint32_t type;     /* BPF_PROG_TYPE_SOCKET_FILTER, BPF_PROG_TYPE_XDP, or BPFVM_PROG_TYPE_RAW */
	const int *fd_array; /* lddw map_idx N refers to map fd fd_array[N] (copied) */
	size_t fd_array_len;
	/* The verifier's log (as bpf(2)'s log_buf): level 0 none, 1 the
	 * failing path or the statistics, 2 every step; cut to log_len - 1
	 * characters, NUL-terminated. Ignored when nothing is verified. */
	char *log_buf;
	size_t log_len;
	int log_level;
	uint32_t raw_mem_size; /* raw programs: r1 has at least this many bytes (bpfvm_verify_opts) */
	const struct bpfvm_func_info *global_funcs; /* for the verifier (borrowed during the load) */
	size_t nglobal_funcs;
};

/* Validates and loads n instruction slots (copied). On success *out owns a new
 * program to release with bpfvm_prog_free; env must outlive it. */
int bpfvm_prog_load(bpfvm_env *env, const struct bpf_insn *insns, size_t n, const struct bpfvm_prog_opts *opts,
		    bpfvm_prog **out, struct bpfvm_error *err);
void bpfvm_prog_free(bpfvm_prog *prog);
/* The program's instructions as loaded (borrowed, valid while prog lives). */
const struct bpf_insn *bpfvm_prog_insns(const bpfvm_prog *prog, size_t *n);
const char *bpfvm_prog_name(const bpfvm_prog *prog);
uint32_t bpfvm_prog_type(const bpfvm_prog *prog);
/* The program's fd in its env (for prog_array maps and tail calls). */
int bpfvm_prog_fd(const bpfvm_prog *prog);

/* 1 when this build and host can JIT-compile (x86-64), else 0. */
int bpfvm_jit_available(void);
/* The native code of a program loaded with BPFVM_PROG_F_JIT, for
 * disassemblers (borrowed, valid while prog lives; read + execute memory).
 * checked = 1 selects the runtime-checked image (every JIT program has one),
 * 0 the trusted image (TRUSTED programs only). Returns the code, whose
 * address is also the base for its relative branches, and its size in *len;
 * *insn_off (may be NULL) receives n + 1 offsets into the code, where n is
 * the program's slot count: instruction pc's code is [insn_off[pc],
 * insn_off[pc + 1]) (empty for the second slot of an lddw). Code before
 * insn_off[0] is the entry trampoline; from insn_off[n] on come the shared
 * slow paths and the out-of-line stubs. NULL (and *len = 0) when there is no
 * such image. */
const uint8_t *bpfvm_prog_jit_image(const bpfvm_prog *prog, int checked, size_t *len, const uint32_t **insn_off);

/* ---- running ---- */

/* BPFVM_ENGINE_JIT runs the program's native image: it must have been
 * loaded with BPFVM_PROG_F_JIT (else BPFVM_EUNSUPP); checked runs use the
 * runtime-checked image, as the interpreter's checked variant does. The
 * runtime-checked image keeps the interpreter's budget exactly (the same
 * BPFVM_EBUDGET at the same instruction). A trace hook needs the
 * interpreter (BPFVM_EUNSUPP with the JIT). */
enum bpfvm_engine { BPFVM_ENGINE_INTERP = 0, BPFVM_ENGINE_JIT = 1 };

enum bpfvm_run_flags {
	BPFVM_RUN_CHECKED = 1u << 0, /* force bounds checks and budget on a trusted program */
};

/* A memory region a checked run may access besides its input and stack. */
struct bpfvm_region {
	uint64_t start, len;
	int writable;
};

/* Called before each executed instruction when set (checked engine only):
 * pc, the instruction, and the registers before it runs. */
typedef void (*bpfvm_trace_fn)(void *cookie, size_t pc, const struct bpf_insn *insn, const uint64_t regs[11]);

struct bpfvm_run_opts {
	size_t sz;                   /* sizeof(struct bpfvm_run_opts) */
	int engine;                  /* enum bpfvm_engine */
	uint32_t flags;              /* enum bpfvm_run_flags */
	void *mem;                   /* r1 = mem, r2 = mem_len; a writable region */
	size_t mem_len;
	const void *packet;          /* LD_ABS/LD_IND data; defaults to mem */
	size_t packet_len;
	const struct bpfvm_region *regions; /* extra regions for checked runs (copied per run) */
	size_t nregions;
	uint64_t budget;             /* checked runs: max executed instructions; 0 = default */
	bpfvm_trace_fn trace;        /* forces the checked engine */
	void *trace_cookie;
	/* Socket filter and XDP programs: the frame (from its Ethernet header),
	 * copied into the run's packet buffer, and its metadata. */
	const void *frame;
	size_t frame_len;
	uint32_t wire_len;           /* original length on the wire; 0 = frame_len */
	uint32_t ifindex;            /* ingress interface index */
	uint32_t rx_queue;
	uint32_t cpu;                /* the CPU slot of per-CPU maps (< ncpus) */
};

/* Runs prog once. On success stores r0 and returns 0; on a run-time fault
 * returns BPFVM_EFAULT/EBUDGET/EHELPER/ESTACK with err naming the instruction.
 * opts may be NULL (no memory, interpreter). */
int bpfvm_prog_run(const bpfvm_prog *prog, const struct bpfvm_run_opts *opts, uint64_t *r0,
		   struct bpfvm_error *err);

/* A reusable execution context for many runs (one per thread): keeps its
 * stack and packet buffer between runs. bpfvm_prog_run uses a temporary one. */
bpfvm_exec *bpfvm_exec_new(bpfvm_env *env);
void bpfvm_exec_free(bpfvm_exec *exec);
int bpfvm_exec_run(bpfvm_exec *exec, const bpfvm_prog *prog, const struct bpfvm_run_opts *opts, uint64_t *r0,
		   struct bpfvm_error *err);
/* After a packet run: the frame as the program left it (XDP may move its
 * start and end). Borrowed until the next run. */
const void *bpfvm_exec_packet(const bpfvm_exec *exec, size_t *len);

/* ---- maps (shared state between programs and the host) ----
 *
 * Kernel semantics: types and flags use the kernel's numbering
 * (BPF_MAP_TYPE_ARRAY, BPF_ANY, ...), and the map operations return the
 * kernel's negative errno values (-ENOENT, -EEXIST, -E2BIG, -EINVAL, -ENOMEM),
 * not BPFVM_E* codes. Maps are owned by their environment and live until it
 * is freed. All operations are safe from several threads at once. */

typedef struct bpfvm_map bpfvm_map;

struct bpfvm_map_opts {
	size_t sz;            /* sizeof(struct bpfvm_map_opts) */
	const char *name;     /* copied (up to 15 characters kept); may be NULL */
	uint32_t type;        /* BPF_MAP_TYPE_* */
	uint32_t key_size, value_size, max_entries, map_flags;
	uint32_t ncpus;       /* per-CPU maps: number of CPU copies; 0 = bpfvm_env_ncpus() */
};

/* Creates a map; returns its fd (>= 3, unique among the env's maps and
 * programs) or a negative errno. */
int bpfvm_map_create(bpfvm_env *env, const struct bpfvm_map_opts *opts);
bpfvm_map *bpfvm_map_from_fd(const bpfvm_env *env, int fd);     /* NULL if none */
bpfvm_map *bpfvm_map_by_name(const bpfvm_env *env, const char *name);
/* The env's maps in creation order: fills up to cap, returns the total. */
size_t bpfvm_env_maps(const bpfvm_env *env, bpfvm_map **out, size_t cap);
/* CPU copies of per-CPU maps and the range of bpf_get_smp_processor_id. */
uint32_t bpfvm_env_ncpus(const bpfvm_env *env);
void bpfvm_env_set_ncpus(bpfvm_env *env, uint32_t ncpus); /* before creating maps */

struct bpfvm_map_info {
	const char *name;     /* borrowed */
	int fd;
	uint32_t type, key_size, value_size, max_entries, map_flags, ncpus;
};
void bpfvm_map_get_info(const bpfvm_map *map, struct bpfvm_map_info *info);

/* Host-side operations, as bpf(2)'s BPF_MAP_* commands behave. For per-CPU
 * maps value holds ncpus values, each rounded up to 8 bytes, as in the
 * kernel. Queue and stack maps take key NULL: update pushes, lookup peeks,
 * lookup_and_delete pops. */
int bpfvm_map_lookup(bpfvm_map *map, const void *key, void *value);
/* As BPF_MAP_FREEZE: from now on the host cannot write the map (update,
 * delete, lookup_and_delete give -EPERM); -EBUSY when it is frozen already.
 * A frozen map that programs may not write (BPF_F_RDONLY_PROG) is constant:
 * the verifier reads its bytes as known values, as the kernel does (the
 * ELF loader freezes .rodata, as libbpf does). */
int bpfvm_map_freeze(bpfvm_map *map);
int bpfvm_map_update(bpfvm_map *map, const void *key, const void *value, uint64_t flags);
int bpfvm_map_delete(bpfvm_map *map, const void *key);
int bpfvm_map_lookup_and_delete(bpfvm_map *map, const void *key, void *value);
/* key NULL gives the first key; -ENOENT after the last. */
int bpfvm_map_get_next_key(bpfvm_map *map, const void *key, void *next_key);

/* Ring buffers: calls fn for every committed record in order (discarded ones
 * are skipped) and frees their space; returns the number of records or a
 * negative errno. A non-zero return from fn stops early. */
typedef int (*bpfvm_ringbuf_fn)(void *cookie, const void *data, size_t size);
int bpfvm_ringbuf_consume(bpfvm_map *map, bpfvm_ringbuf_fn fn, void *cookie);

/* ---- helper prototypes ----
 * Argument and return types, as the kernel's bpf_func_proto describes them;
 * the verifier checks calls against them. */
enum bpfvm_arg_type {
	BPFVM_ARG_NONE = 0,        /* argument not used */
	BPFVM_ARG_ANYTHING,        /* any initialised value */
	BPFVM_ARG_CONST_MAP_PTR,   /* a map (lddw map fd / index) */
	BPFVM_ARG_PTR_TO_MAP_KEY,  /* key_size readable bytes */
	BPFVM_ARG_PTR_TO_MAP_VALUE,/* value_size readable bytes */
	BPFVM_ARG_PTR_TO_MEM,      /* readable memory, size in the next argument */
	BPFVM_ARG_PTR_TO_UNINIT_MEM, /* writable memory, size in the next argument */
	BPFVM_ARG_CONST_SIZE,      /* size of the previous memory argument, > 0 */
	BPFVM_ARG_CONST_SIZE_OR_ZERO,
	BPFVM_ARG_PTR_TO_CTX,      /* the program's context */
	BPFVM_ARG_PTR_TO_FUNC,     /* a callback (lddw src 4) */
	BPFVM_ARG_PTR_TO_STACK_OR_NULL,
	BPFVM_ARG_PTR_TO_RINGBUF_MEM, /* a record from ringbuf_reserve */
	BPFVM_ARG_CONST_ALLOC_SIZE_OR_ZERO,
	BPFVM_ARG_PTR_TO_LONG,     /* 8 writable bytes */
};
enum bpfvm_ret_type {
	BPFVM_RET_INTEGER = 0,
	BPFVM_RET_VOID,
	BPFVM_RET_PTR_TO_MAP_VALUE_OR_NULL,
	BPFVM_RET_PTR_TO_RINGBUF_MEM_OR_NULL,
};
struct bpfvm_helper_proto {
	uint8_t ret;      /* enum bpfvm_ret_type */
	uint8_t args[5];  /* enum bpfvm_arg_type */
};
/* Like bpfvm_env_register_helper, with a prototype for the verifier. */
int bpfvm_env_register_helper_proto(bpfvm_env *env, uint32_t id, const char *name, bpfvm_helper_fn fn,
				    void *cookie, const struct bpfvm_helper_proto *proto);
/* The kernel helper bpfvm provides under id, or NULL: its name and prototype. */
const char *bpfvm_builtin_helper(uint32_t id, struct bpfvm_helper_proto *proto);

/* ---- packet sources (libpcap): capture files and live interfaces ----
 * Frames come out as Ethernet frames whatever the link type: cooked (SLL,
 * SLL2), raw IP and BSD loopback captures get a synthesized 14-byte Ethernet
 * header; other link types are refused when the source is opened. */

typedef struct bpfvm_pktsrc bpfvm_pktsrc;

struct bpfvm_frame {
	const uint8_t *data;  /* borrowed until the next call on the source */
	uint32_t caplen;      /* bytes in data */
	uint32_t wire_len;    /* length on the wire */
	uint64_t ts_ns;       /* capture time, ns since the epoch */
	uint64_t index;       /* 0-based frame number in the source */
};

/* Opens a pcap or pcapng file ("-" = stdin). 0 or BPFVM_EIO/EFORMAT/EUNSUPP. */
int bpfvm_pktsrc_open_file(const char *path, bpfvm_pktsrc **out, struct bpfvm_error *err);
/* Opens a live capture on iface (needs root or CAP_NET_RAW). */
int bpfvm_pktsrc_open_live(const char *iface, bpfvm_pktsrc **out, struct bpfvm_error *err);
/* Next frame: 1 with *f filled, 0 at the end of a file or when timeout_ms
 * passed on a live source without a frame, or a negative BPFVM_E* (a
 * truncated or corrupt file: err.offset is the file offset). */
int bpfvm_pktsrc_next(bpfvm_pktsrc *src, struct bpfvm_frame *f, int timeout_ms, struct bpfvm_error *err);
/* The interface index of a live source (0 for files). */
uint32_t bpfvm_pktsrc_ifindex(const bpfvm_pktsrc *src);
/* Bytes of the file read so far and its size (0 when unknown): progress. */
void bpfvm_pktsrc_progress(const bpfvm_pktsrc *src, uint64_t *done, uint64_t *total);
void bpfvm_pktsrc_close(bpfvm_pktsrc *src);

/* ---- kernel helpers' host hooks ---- */

/* Where bpf_trace_printk (helper 6) output goes. fn receives each call's
 * output as one line the way the kernel's trace_pipe shows it, without the
 * newline trace_pipe adds after it:
 *   "<comm, 16 wide>-<tid, 7 wide> [<cpu, 3 digits>] ..... <sec, 5 wide>.<usec, 6 digits>: bpf_trace_printk: <text>"
 * comm and tid are the calling host thread's, cpu is the run's CPU slot, the
 * time is CLOCK_MONOTONIC and "....." stands for the kernel's irq/preempt
 * flags. <text> is the formatted text as the program wrote it, at most 1023
 * characters, the kernel's limit (a trailing
 * "\n" of the format stays, as in the kernel, where it shows as an empty
 * line); the text starts right after the first "bpf_trace_printk: ". line is
 * valid only during the call. fn may be called from several threads at once.
 * fn NULL restores the default, which writes line and "\n" to stderr. */
void bpfvm_env_set_printk(bpfvm_env *env, void (*fn)(void *cookie, const char *line), void *cookie);

/* ---- assembler and disassembler ---- */

enum bpfvm_syntax {
	BPFVM_SYNTAX_AUTO = 0, /* assembler: accept either syntax, line by line */
	BPFVM_SYNTAX_LLVM = 1, /* r0 = *(u32 *)(r1 + 4), as llvm-objdump prints it */
	BPFVM_SYNTAX_UBPF = 2, /* ldxw %r0, [%r1+4], the conformance suite's syntax */
};

/* Assembles text (len bytes, need not be NUL-terminated). On success *out is
 * a malloc'd array of *n slots that the caller frees with free(). Errors carry
 * line:column and quote the offending text. */
int bpfvm_asm(const char *text, size_t len, int syntax, struct bpf_insn **out, size_t *n,
	      struct bpfvm_error *err);

/* Map declarations. Assembly text declares maps with the directive
 *   .map NAME TYPE key=K value=V entries=N [flags=F]
 * (TYPE: array, hash, percpu_array, percpu_hash, lru_hash, lru_percpu_hash,
 * ringbuf, queue, stack, prog_array; key/value may be left out where the type
 * needs 0) and refers to a map by name where an lddw takes a map index:
 * `lddw %r1, map_idx NAME`, `lddw %r1, map_idx_value NAME, OFF`,
 * `ld_pseudo r1, 5, NAME`, `ld_pseudo r1, 6, NAME`. The name becomes the
 * map's index among the declarations (BPF_PSEUDO_MAP_IDX): the file's maps in
 * order, then the caller's (opts->maps); the loader's fd_array turns indices
 * into map fds. Names may be used before their declaration. */
struct bpfvm_asm_map {
	char name[16];        /* NUL-terminated: [A-Za-z_.][A-Za-z0-9_.]*, 1-15 characters */
	uint32_t type;        /* BPF_MAP_TYPE_* */
	uint32_t key_size, value_size, max_entries, map_flags;
	int line, column;     /* the directive's position; 0 for the caller's maps */
};

struct bpfvm_asm_opts {
	size_t sz;            /* sizeof(struct bpfvm_asm_opts) */
	int syntax;           /* enum bpfvm_syntax */
	/* Maps declared outside the text (borrowed during the call): they take
	 * the indices after the text's own declarations, in order. */
	const struct bpfvm_asm_map *maps;
	size_t nmaps;
};

struct bpfvm_asm_result {
	size_t sz;            /* set by the caller: sizeof(struct bpfvm_asm_result) */
	struct bpf_insn *insns; /* malloc'd: n slots */
	size_t n;
	struct bpfvm_asm_map *maps; /* malloc'd: every map by index (the text's, then opts->maps) */
	size_t nmaps;
};

/* Like bpfvm_asm, also returning the map declarations. opts may be NULL (AUTO
 * syntax, no extra maps). On success res owns its arrays: release them with
 * bpfvm_asm_result_free. On failure res holds nothing to free. Declaration
 * errors (bad name, unknown type, bad or missing sizes, duplicate names) and
 * names that no declaration defines are BPFVM_EASM with line:column. */
int bpfvm_asm_ex(const char *text, size_t len, const struct bpfvm_asm_opts *opts, struct bpfvm_asm_result *res,
		 struct bpfvm_error *err);
void bpfvm_asm_result_free(struct bpfvm_asm_result *res);

/* The .map directive's type names: the BPF_MAP_TYPE_* value of the first len
 * bytes of name, or -1; and the name of a type (NULL when it has none). */
int bpfvm_asm_map_type(const char *name, size_t len);
const char *bpfvm_asm_map_type_name(uint32_t type);

enum bpfvm_disasm_flags {
	BPFVM_DISASM_NO_ANNOTATE = 1u << 0, /* no "# helper name" comments */
	/* LLVM syntax: print the dst of 8/16/32-bit loads (ldxb/h/w), the src of
	 * 8/16/32-bit stores (stxb/h/w) and of the 32-bit atomic add as wN, as
	 * `llvm-objdump --mattr=+alu32` does. Without it they print as rN, as plain
	 * `llvm-objdump -d` prints them even for objects built with -mcpu=v3 (the
	 * ELF file does not record the CPU). Other 32-bit forms always use wN. */
	BPFVM_DISASM_ALU32 = 1u << 1,
};

/* Disassembles the instruction at insns[pc] (n slots in all) into buf, in
 * syntax BPFVM_SYNTAX_LLVM (also for AUTO) or BPFVM_SYNTAX_UBPF; flags are
 * enum bpfvm_disasm_flags. Returns the number of slots it spans (1, or 2 for
 * lddw), or BPFVM_EDECODE when it is not a valid instruction (also an lddw
 * without its second slot): buf then holds ".quad 0x<16 hex digits>", the raw
 * little-endian word as llvm-mc assembles it back. BPFVM_EINVAL for pc >= n or
 * an unknown syntax. The text is cut to buflen - 1 characters and always
 * NUL-terminated (buf may be NULL when buflen is 0). Comments (helper names,
 * local call targets) follow a " # " and are omitted with
 * BPFVM_DISASM_NO_ANNOTATE. */
int bpfvm_disasm_insn(const struct bpf_insn *insns, size_t n, size_t pc, int syntax, uint32_t flags,
		      char *buf, size_t buflen);

/* ---- verifier ----
 * Proves a program safe before it runs, as the Linux verifier does for a
 * privileged (root) loader: every path is explored with the type and value
 * range of every register and stack slot; memory accesses must stay inside
 * the stack, the context fields the program type allows, a packet range
 * proven by a comparison with data_end, map values and ring buffer records;
 * helpers are checked against their prototypes and the program type;
 * loops must end (explored iteration by iteration, at most 1,000,000
 * instructions processed). Reading uninitialised stack is allowed (it reads
 * an unknown value, the kernel's allow_uninit_stack for root), as are
 * storing, comparing and returning pointers. Raw programs (type 0) get r1 =
 * memory of at least raw_mem_size bytes and r2 = its length; comparisons of
 * r2 (or copies of it) prove further bytes present. */

struct bpfvm_verify_opts {
	size_t sz;               /* sizeof(struct bpfvm_verify_opts) */
	uint32_t prog_type;      /* BPF_PROG_TYPE_SOCKET_FILTER, BPF_PROG_TYPE_XDP, BPFVM_PROG_TYPE_RAW */
	const int *fd_array;     /* lddw map_idx N names map fd fd_array[N] (borrowed during the call) */
	size_t fd_array_len;
	int log_level;           /* 0 no log; 1 the path that failed, or the statistics; 2 every step */
	uint32_t raw_mem_size;   /* raw programs: bytes r1 points to at least */
	const struct bpfvm_func_info *global_funcs; /* global functions (borrowed) */
	size_t nglobal_funcs;
};

struct bpfvm_verify_result {
	size_t sz;               /* set by the caller: sizeof(struct bpfvm_verify_result) */
	int accepted;            /* 1 when the program was proved safe */
	uint64_t insns_processed;/* instructions the verifier processed (the kernel's "processed N insns") */
	uint32_t total_states;   /* checkpoints made for pruning */
	uint32_t peak_states;
	uint32_t max_states_per_insn;
	uint32_t max_stack_depth;/* bytes of stack of the deepest call chain */
	long error_insn;         /* where it was rejected, or -1 */
};

/* Verifies n instruction slots for env (whose maps and helpers the program
 * uses). Returns 0 when the program is safe, BPFVM_EVERIFY when it is not
 * (err->insn is the instruction, err->msg the reason, in the kernel's
 * words), BPFVM_EINVAL / BPFVM_ENOMEM / BPFVM_EUNSUPP (program type). opts,
 * res, log and err may be NULL. The log (kernel-like: each instruction,
 * its disassembly and the registers it touched, then the reason, then
 * "processed N insns ...") is cut to log_len - 1 characters and always
 * NUL-terminated. */
int bpfvm_verify(bpfvm_env *env, const struct bpf_insn *insns, size_t n, const struct bpfvm_verify_opts *opts,
		 struct bpfvm_verify_result *res, char *log, size_t log_len, struct bpfvm_error *err);

/* ---- ELF objects ----
 * Runs clang-compiled BPF objects (clang -O2 -g -target bpf -c) the way
 * libbpf loads them: every function outside .text is a program whose type
 * comes from its section name (libbpf's conventions: "socket" socket
 * filter, "xdp" XDP, "tc"/"classifier" sched_cls, "kprobe/...",
 * "tracepoint/..." ...); functions in .text are subprograms, appended to each
 * program that calls them (bpf-to-bpf calls, callbacks). Maps come from the
 * BTF-defined .maps section (with prog_array initial `values = {...}`), the
 * legacy "maps" section (struct bpf_map_def) and global data: .data, .data.*,
 * .rodata, .rodata.* (BPF_F_RDONLY_PROG) and .bss become single-entry array
 * maps, referenced with lddw map value (BPF_PSEUDO_MAP_IDX_VALUE). Maps are
 * referenced by index: each program's fd_array holds the object's map fds.
 * CO-RE relocations against struct __sk_buff and struct xdp_md resolve to
 * the layouts bpfvm gives programs; other types resolve to the object's own
 * BTF (the layout the object was compiled against), unless
 * BPFVM_OBJ_F_STRICT_CORE. As libbpf does, the loader freezes .rodata
 * (bpfvm_map_freeze) before it loads the programs, so the verifier reads
 * its values as constants; to give globals other values, open with
 * BPFVM_OBJ_F_DEFER_LOAD, write bpfvm_obj_map_initial_value(), then
 * bpfvm_obj_load() (libbpf's open / set / load).
 *
 * Malformed objects (not ELF, not EM_BPF, truncated, bad section or symbol
 * indices, relocations of missing symbols, garbage BTF ...) give
 * BPFVM_EFORMAT with a one-line message naming the section or symbol and
 * err.offset, the file offset concerned. */

typedef struct bpfvm_obj bpfvm_obj;

enum bpfvm_obj_flags {
	/* Parse and relocate only: create no maps, load no programs (env may
	 * be NULL). For disassembly and `info`. */
	BPFVM_OBJ_F_NO_LOAD = 1u << 0,
	/* A program that fails to load is recorded in its info (load_error,
	 * load_msg) instead of failing the open. Programs whose type bpfvm
	 * cannot run, or whose section names no type, never fail the open. */
	BPFVM_OBJ_F_KEEP_GOING = 1u << 1,
	/* CO-RE relocations against types bpfvm does not provide fail instead
	 * of resolving against the object's own BTF. */
	BPFVM_OBJ_F_STRICT_CORE = 1u << 2,
	/* Programs in sections that name no program type load as raw programs
	 * (BPFVM_PROG_TYPE_RAW: r1 = memory, r2 = its length). */
	BPFVM_OBJ_F_RAW_UNKNOWN = 1u << 3,
	/* Open and link, but create the maps and load the programs only in
	 * bpfvm_obj_load(), so that global data may be changed first. */
	BPFVM_OBJ_F_DEFER_LOAD = 1u << 4,
};

struct bpfvm_obj_opts {
	size_t sz;            /* sizeof(struct bpfvm_obj_opts) */
	/* The object's name (prefix of global data map names, as libbpf's
	 * "<name>.rodata"); NULL: the file's base name up to its first '.',
	 * or "obj" for memory. Copied. */
	const char *name;
	uint32_t flags;       /* enum bpfvm_obj_flags */
	uint32_t prog_flags;  /* enum bpfvm_prog_flags for every program */
};

/* Opens the object at path (or len bytes at data, copied) and, unless
 * BPFVM_OBJ_F_NO_LOAD, creates its maps in env, stores their initial values
 * and loads its programs. On success *out owns the object (release it with
 * bpfvm_obj_close before freeing env). On failure nothing is left in env.
 * opts may be NULL. */
int bpfvm_obj_open(bpfvm_env *env, const char *path, const struct bpfvm_obj_opts *opts, bpfvm_obj **out,
		   struct bpfvm_error *err);
int bpfvm_obj_open_mem(bpfvm_env *env, const void *data, size_t len, const struct bpfvm_obj_opts *opts,
		       bpfvm_obj **out, struct bpfvm_error *err);
/* Frees the object's programs and removes its maps from env. */
void bpfvm_obj_close(bpfvm_obj *obj);
/* For objects opened with BPFVM_OBJ_F_DEFER_LOAD: creates the maps with
 * their initial values, freezes .rodata and loads (verifies) the programs,
 * as bpfvm_obj_open does without the flag. BPFVM_EINVAL when the object was
 * loaded already or opened with BPFVM_OBJ_F_NO_LOAD. On failure nothing is
 * left in env (the object can only be closed). */
int bpfvm_obj_load(bpfvm_obj *obj, struct bpfvm_error *err);
/* Before bpfvm_obj_load: the initial value of a global data map (.data,
 * .rodata, .bss and their .* variants, by name as bpfvm_obj_map_by_name
 * takes it), writable, and its size in *size; NULL for other maps, unknown
 * names and loaded objects. */
void *bpfvm_obj_map_initial_value(bpfvm_obj *obj, const char *name, size_t *size);
/* A global variable (an object symbol in .data, .rodata, .bss or their .*
 * variants): the name of its map (for bpfvm_obj_map_initial_value and
 * bpfvm_obj_map_by_name), its offset in the map's value and its size.
 * 0, or BPFVM_EINVAL when the object has no such variable. */
int bpfvm_obj_global(const bpfvm_obj *obj, const char *name, const char **map, size_t *off, size_t *size);

const char *bpfvm_obj_name(const bpfvm_obj *obj);
/* The "license" section's text ("" when there is none). */
const char *bpfvm_obj_license(const bpfvm_obj *obj);
/* The "version" section's value (0 when there is none). */
uint32_t bpfvm_obj_kversion(const bpfvm_obj *obj);

/* A function placed in a program: the program's entry at insn 0, then the
 * subprograms appended after it. */
struct bpfvm_obj_func {
	const char *name;
	size_t insn;          /* first slot in the program's final instructions */
	size_t n;             /* slots */
};

/* Source line information (.BTF.ext line_info, with -g). */
struct bpfvm_obj_line {
	size_t insn;          /* slot in the program's final instructions */
	const char *file;     /* as the compiler recorded it */
	const char *text;     /* the source line ("" when not recorded) */
	uint32_t line, column;
};

/* Everything the object says about one program. All pointers are borrowed
 * and valid until bpfvm_obj_close. */
struct bpfvm_obj_prog_info {
	const char *name;     /* the function's symbol */
	const char *section;  /* e.g. "xdp", "socket", "kprobe/do_unlinkat" */
	uint32_t type;        /* BPF_PROG_TYPE_* by libbpf's conventions */
	uint32_t expected_attach_type;
	int type_known;       /* 0: the section name names no program type */
	const char *type_name;/* "socket_filter", "xdp", "kprobe", ... */
	size_t sec_insn;      /* first slot of the function in its section */
	size_t sec_ninsns;    /* its own slots */
	/* Final instructions: relocated, subprograms appended (what was, or
	 * would be, given to bpfvm_prog_load). NULL when linking failed. */
	const struct bpf_insn *insns;
	size_t ninsns;
	const struct bpfvm_obj_func *funcs;
	size_t nfuncs;
	const struct bpfvm_obj_line *lines; /* ordered by insn */
	size_t nlines;
	bpfvm_prog *prog;     /* the loaded program, or NULL */
	int load_error;       /* 0, or why it was not loaded (BPFVM_E*) */
	const char *load_msg; /* "" or one line: why it was not loaded */
	/* Its global (non-static) subprograms, from BTF: what the loader gives
	 * the verifier (bpfvm_verify_opts.global_funcs). */
	const struct bpfvm_func_info *global_funcs;
	size_t nglobal_funcs;
};

size_t bpfvm_obj_prog_count(const bpfvm_obj *obj);
/* Program i (in the order of the object's sections and symbols), or NULL. */
const struct bpfvm_obj_prog_info *bpfvm_obj_prog(const bpfvm_obj *obj, size_t i);
/* The index of the program whose function is called name, else of the first
 * program in section name; -1 when none. */
long bpfvm_obj_prog_find(const bpfvm_obj *obj, const char *name);
/* The loaded program called name (function), or the first one loaded from
 * section sec; NULL when there is none or it was not loaded. */
bpfvm_prog *bpfvm_obj_prog_by_name(const bpfvm_obj *obj, const char *name);
bpfvm_prog *bpfvm_obj_prog_by_section(const bpfvm_obj *obj, const char *sec);

enum bpfvm_obj_map_kind {
	BPFVM_OBJ_MAP_BTF = 1,   /* .maps */
	BPFVM_OBJ_MAP_LEGACY,    /* maps (struct bpf_map_def) */
	BPFVM_OBJ_MAP_DATA,      /* .data, .data.* */
	BPFVM_OBJ_MAP_RODATA,    /* .rodata, .rodata.* */
	BPFVM_OBJ_MAP_BSS,       /* .bss */
};

struct bpfvm_obj_map_info {
	const char *name;     /* the variable's name; the section's for global data (".rodata") */
	const char *env_name; /* its name in env (<= 15 characters, libbpf's naming) */
	const char *section;
	int kind;             /* enum bpfvm_obj_map_kind */
	uint32_t type, key_size, value_size, max_entries, map_flags;
	uint32_t key_btf_id, value_btf_id; /* the BTF types of key and value, 0 when unknown */
	bpfvm_map *map;       /* NULL with BPFVM_OBJ_F_NO_LOAD */
	int fd;               /* -1 with BPFVM_OBJ_F_NO_LOAD */
	size_t ninit;         /* prog_array: slots given in `values = {...}` */
};

size_t bpfvm_obj_map_count(const bpfvm_obj *obj);
const struct bpfvm_obj_map_info *bpfvm_obj_map(const bpfvm_obj *obj, size_t i);
/* The map called name (variable or section name, or its name in env). */
bpfvm_map *bpfvm_obj_map_by_name(const bpfvm_obj *obj, const char *name);

enum bpfvm_obj_reloc_kind {
	BPFVM_RELOC_MAP = 1,     /* lddw of a map: src BPF_PSEUDO_MAP_IDX, imm = map index */
	BPFVM_RELOC_MAP_VALUE,   /* lddw of global data: src BPF_PSEUDO_MAP_IDX_VALUE, next imm = offset */
	BPFVM_RELOC_CALL,        /* bpf-to-bpf call of a subprogram */
	BPFVM_RELOC_FUNC,        /* lddw of a subprogram's address (src BPF_PSEUDO_FUNC: callbacks) */
	BPFVM_RELOC_CORE,        /* CO-RE: a field offset, size, existence ... */
	BPFVM_RELOC_PROG_SLOT,   /* prog_array initial value (`values = {...}`) */
};

/* One applied relocation, as placed in a program's final instructions (a
 * subprogram's relocations are listed once per program that includes it). */
struct bpfvm_obj_reloc {
	int kind;             /* enum bpfvm_obj_reloc_kind */
	long prog;            /* program index; -1 for PROG_SLOT */
	size_t insn;          /* slot in that program's final instructions */
	const char *section;  /* the section of the relocated instruction or map */
	uint64_t sec_off;     /* byte offset in that section */
	uint32_t elf_type;    /* R_BPF_64_64, R_BPF_64_32, R_BPF_64_ABS64 ...; 0 for CO-RE */
	const char *symbol;   /* the ELF symbol ("" for CO-RE) */
	long map;             /* map index, or -1 */
	int64_t value;        /* MAP_VALUE: offset in the value; CALL, FUNC: target
			       * slot; CORE: the patched value; PROG_SLOT: slot index */
	const char *target;   /* what it refers to, one line: a map's or function's
			       * name, or "struct __sk_buff::len (0:0) field_byte_offset" */
};

size_t bpfvm_obj_reloc_count(const bpfvm_obj *obj);
const struct bpfvm_obj_reloc *bpfvm_obj_reloc(const bpfvm_obj *obj, size_t i);
/* The relocation applied at slot insn of program prog (for annotating a
 * disassembly), or NULL. A slot has at most one. */
const struct bpfvm_obj_reloc *bpfvm_obj_reloc_at(const bpfvm_obj *obj, size_t prog, size_t insn);

#ifdef __cplusplus
}
#endif
#endif
