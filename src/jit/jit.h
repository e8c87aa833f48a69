/* jit.h - the JIT's interface to the rest of the VM: compiling a loaded
 * program into native images (jit_x86.c), running one (jit.c), executable
 * memory (jit_mem.c), and the run-time services the generated code calls.
 *
 * Images. A program loaded with BPFVM_PROG_F_JIT gets a runtime-checked
 * image (bounds checks on every memory access, the instruction budget) and,
 * when it is TRUSTED, also a trusted image without checks. Images are
 * immutable once built and shared by every thread that runs the program.
 *
 * Generated code conventions (x86-64):
 *   eBPF r0..r10 live in rax, rdi, rsi, rdx, rcx, r8, rbx, r13, r14, r15,
 *   rbp (r1..r5 are the SysV argument registers, so helper calls need no
 *   shuffling); r12 holds the bpfvm_exec for the whole run; r9, r10, r11 are
 *   scratch. Each eBPF function (the entry, subprograms, callbacks) is a
 *   native function entered by `call` and left by `ret` (eBPF exit), with
 *   the native stack 8 mod 16 at its first instruction; bpf-to-bpf calls
 *   push those of r6-r9 the callee may write and move r10 up by one
 *   512-byte frame in ex->stack; the call depth is r10's distance from
 *   ex->stack (no counter: helper calls store it in ex->depth). The entry trampoline at offset 0 saves the host's
 *   callee-saved registers and records its stack pointer in ex->jit_sp, so
 *   that faults, stops and packet-load failures anywhere end the run by
 *   restoring that stack pointer (unwinding every eBPF frame at once).
 *   Helper calls keep r1..r5 (as the interpreter does; the kernel clobbers
 *   them) and check ex->stopped and ex->tail_prog afterwards. */
#ifndef BPFVM_JIT_H
#define BPFVM_JIT_H

#include <stddef.h>
#include <stdint.h>

#include "vm.h"

struct vm_jit_image {
	uint8_t *code;      /* read + execute mapping */
	size_t map_len;     /* bytes mapped */
	size_t len;         /* bytes of code */
	uint32_t *insn_off; /* n + 1 offsets: instruction pc starts at code + insn_off[pc] */
	size_t n;
	int checked;
};

/* Statuses the trampoline returns besides 0 (r0 stored) and BPFVM_E* (the
 * fault already recorded in ex->err). */
#define VM_JIT_STOPPED 1 /* a helper called bpfvm_exec_stop or vm_exec_abort */
#define VM_JIT_END 2     /* the run ended early with r0 = ex->jit_r0 (LD_ABS out of bounds) */

/* The trampoline: runs the eBPF function whose code starts at body with
 * registers regs (r0..r10) and ex in r12. */
typedef int (*vm_jit_entry_fn)(bpfvm_exec *ex, const uint64_t *regs, uint64_t *r0, const void *body);

/* 1 when this build can generate and run native code (x86-64 hosts). */
int vm_jit_supported(void);

/* Builds the image of prog (checked or trusted variant) into *out. 0, or
 * BPFVM_ENOMEM / BPFVM_EUNSUPP with err filled. */
int vm_jit_compile(const bpfvm_prog *prog, int checked, struct vm_jit_image **out, struct bpfvm_error *err);
void vm_jit_free(struct vm_jit_image *img);

/* Compiles what prog->flags ask for (at load); 0 or BPFVM_E*. */
int vm_jit_load(bpfvm_prog *prog, struct bpfvm_error *err);

/* The engine entry, with vm_interp_run's contract: runs ex->prog's image
 * (checked when ex->checked) from start_pc at call depth base_depth until the
 * exit of that frame. */
int vm_jit_run(bpfvm_exec *ex, uint64_t regs[11], size_t start_pc, int base_depth, uint64_t *r0);

/* Executable memory: len bytes written through the returned pointer, then
 * sealed (read + execute, never writable and executable at once). */
void *vm_jit_mem_alloc(size_t len, size_t *map_len);
int vm_jit_mem_seal(void *mem, size_t map_len);
void vm_jit_mem_free(void *mem, size_t map_len);

/* Run-time services the generated code calls (SysV ABI). */
/* Checked access of 1 << ((info >> 1) & 3) bytes at addr (write when info &
 * 1) by instruction info >> 3, with r10 the current frame top: 1 when
 * allowed (the run region that allowed it becomes ex->jit_rd_* / jit_wr_*,
 * which the inline checks try before calling again), else 0 with the fault
 * recorded. */
int vm_jit_check(bpfvm_exec *ex, uint64_t addr, uint32_t info, uint64_t r10);
/* The budget does not cover the block at pc: finishes it on the checked
 * interpreter (exactly as far as the budget reaches) and returns the status
 * to end the run with. regs holds r0..r10. */
int vm_jit_budget_out(bpfvm_exec *ex, uint64_t *regs, uint32_t pc);
/* LD_ABS / LD_IND of size bytes at packet offset off (interp.c's
 * vm_pkt_load, for the negative offsets: the kernel's SKF_NET_OFF and
 * SKF_LL_OFF windows): the value, or UINT64_MAX when out of bounds. */
uint64_t vm_jit_pkt_load(const bpfvm_exec *ex, int32_t off, uint32_t size);
/* callx: the helper with id (info = pc << 4 | register), or NULL with the
 * fault recorded. */
const struct vm_helper *vm_jit_callx(bpfvm_exec *ex, uint64_t id, uint32_t info);
/* After a successful bpf_tail_call at pc: switches ex->prog and returns the
 * target's body, or NULL with the fault recorded. */
const void *vm_jit_tail_call(bpfvm_exec *ex, uint32_t pc);
/* Records a fault of kind (VM_JIT_FAULT_*) at pc; returns its code. */
int vm_jit_fault(bpfvm_exec *ex, uint32_t pc, uint32_t kind);
#define VM_JIT_FAULT_STACK 1  /* call depth exceeded */
#define VM_JIT_FAULT_KFUNC 2  /* kernel function call */

#endif
