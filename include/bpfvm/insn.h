/* bpfvm/insn.h - the eBPF instruction layout, opcode constants and the kernel's
 * instruction builder macros (BPF_MOV64_REG, BPF_LD_ABS, ...) under their kernel
 * names, so listings written for the kernel compile unchanged against bpfvm.
 *
 * On Linux the layout and constants come from <linux/bpf.h>; everything newer
 * than the installed header (sign-extending loads, may_goto, load-acquire, ...)
 * and every builder macro is defined here. Elsewhere this header is
 * self-contained. Either way struct bpf_insn is the kernel's 8-byte layout.
 *
 * Note: libpcap also defines a (classic BPF) struct bpf_insn. Define
 * PCAP_DONT_INCLUDE_PCAP_BPF_H before including <pcap/pcap.h> in a file that
 * includes this header. */
#ifndef BPFVM_INSN_H
#define BPFVM_INSN_H

#include <stdint.h>

#if defined(__linux__) && defined(__has_include)
#if __has_include(<linux/bpf.h>)
#include <linux/bpf.h>
#define BPFVM_HAVE_LINUX_BPF_H 1
#endif
#endif

#ifndef BPFVM_HAVE_LINUX_BPF_H
/* No kernel header: the same layout and names, defined here. */
struct bpf_insn {
	uint8_t code;
	uint8_t dst_reg : 4;
	uint8_t src_reg : 4;
	int16_t off;
	int32_t imm;
};

enum {
	BPF_REG_0 = 0, BPF_REG_1, BPF_REG_2, BPF_REG_3, BPF_REG_4, BPF_REG_5,
	BPF_REG_6, BPF_REG_7, BPF_REG_8, BPF_REG_9, BPF_REG_10, __MAX_BPF_REG,
};
#define MAX_BPF_REG __MAX_BPF_REG

#define BPF_CLASS(code) ((code) & 0x07)
#define BPF_SIZE(code) ((code) & 0x18)
#define BPF_MODE(code) ((code) & 0xe0)
#define BPF_OP(code) ((code) & 0xf0)
#define BPF_SRC(code) ((code) & 0x08)

/* Helper ids used by bpfvm's own examples; the full list comes with the
 * helper table (src/vm/helpers.def). */
#define BPF_FUNC_map_lookup_elem 1
#define BPF_FUNC_map_update_elem 2
#define BPF_FUNC_map_delete_elem 3
#endif /* !BPFVM_HAVE_LINUX_BPF_H */

/* Classes */
#ifndef BPF_LD
#define BPF_LD 0x00
#define BPF_LDX 0x01
#define BPF_ST 0x02
#define BPF_STX 0x03
#define BPF_ALU 0x04
#define BPF_JMP 0x05
#endif
#ifndef BPF_JMP32
#define BPF_JMP32 0x06
#endif
#ifndef BPF_ALU64
#define BPF_ALU64 0x07
#endif

/* Sizes */
#ifndef BPF_W
#define BPF_W 0x00
#define BPF_H 0x08
#define BPF_B 0x10
#endif
#ifndef BPF_DW
#define BPF_DW 0x18
#endif

/* Modes */
#ifndef BPF_IMM
#define BPF_IMM 0x00
#define BPF_ABS 0x20
#define BPF_IND 0x40
#define BPF_MEM 0x60
#endif
#ifndef BPF_MEMSX
#define BPF_MEMSX 0x80 /* sign-extending load (LDX only) */
#endif
#ifndef BPF_ATOMIC
#define BPF_ATOMIC 0xc0
#endif
#ifndef BPF_XADD
#define BPF_XADD 0xc0 /* legacy name of BPF_ATOMIC with imm BPF_ADD */
#endif

/* ALU operations */
#ifndef BPF_ADD
#define BPF_ADD 0x00
#define BPF_SUB 0x10
#define BPF_MUL 0x20
#define BPF_DIV 0x30
#define BPF_OR 0x40
#define BPF_AND 0x50
#define BPF_LSH 0x60
#define BPF_RSH 0x70
#define BPF_NEG 0x80
#define BPF_MOD 0x90
#define BPF_XOR 0xa0
#endif
#ifndef BPF_MOV
#define BPF_MOV 0xb0
#endif
#ifndef BPF_ARSH
#define BPF_ARSH 0xc0
#endif
#ifndef BPF_END
#define BPF_END 0xd0
#endif
#ifndef BPF_TO_LE
#define BPF_TO_LE 0x00
#define BPF_TO_BE 0x08
#endif
#ifndef BPF_FROM_LE
#define BPF_FROM_LE BPF_TO_LE
#define BPF_FROM_BE BPF_TO_BE
#endif

/* Source operand */
#ifndef BPF_K
#define BPF_K 0x00
#define BPF_X 0x08
#endif

/* Jump operations */
#ifndef BPF_JA
#define BPF_JA 0x00
#define BPF_JEQ 0x10
#define BPF_JGT 0x20
#define BPF_JGE 0x30
#define BPF_JSET 0x40
#endif
#ifndef BPF_JNE
#define BPF_JNE 0x50
#endif
#ifndef BPF_JSGT
#define BPF_JSGT 0x60
#define BPF_JSGE 0x70
#endif
#ifndef BPF_CALL
#define BPF_CALL 0x80
#endif
#ifndef BPF_EXIT
#define BPF_EXIT 0x90
#endif
#ifndef BPF_JLT
#define BPF_JLT 0xa0
#define BPF_JLE 0xb0
#define BPF_JSLT 0xc0
#define BPF_JSLE 0xd0
#endif
#ifndef BPF_JCOND
#define BPF_JCOND 0xe0 /* conditional pseudo jumps: may_goto */
#endif
#ifndef BPF_MAY_GOTO
#define BPF_MAY_GOTO 0 /* src_reg of BPF_JCOND */
#endif

/* Atomic operations (imm of BPF_STX | BPF_ATOMIC) */
#ifndef BPF_FETCH
#define BPF_FETCH 0x01
#endif
#ifndef BPF_XCHG
#define BPF_XCHG (0xe0 | BPF_FETCH)
#endif
#ifndef BPF_CMPXCHG
#define BPF_CMPXCHG (0xf0 | BPF_FETCH)
#endif
#ifndef BPF_LOAD_ACQ
#define BPF_LOAD_ACQ 0x100 /* dst = load_acquire(src + off) */
#endif
#ifndef BPF_STORE_REL
#define BPF_STORE_REL 0x110 /* store_release(dst + off, src) */
#endif

/* Pseudo sources of the two-slot BPF_LD | BPF_IMM | BPF_DW (lddw) */
#ifndef BPF_PSEUDO_MAP_FD
#define BPF_PSEUDO_MAP_FD 1
#endif
#ifndef BPF_PSEUDO_MAP_VALUE
#define BPF_PSEUDO_MAP_VALUE 2
#endif
#ifndef BPF_PSEUDO_BTF_ID
#define BPF_PSEUDO_BTF_ID 3
#endif
#ifndef BPF_PSEUDO_FUNC
#define BPF_PSEUDO_FUNC 4
#endif
#ifndef BPF_PSEUDO_MAP_IDX
#define BPF_PSEUDO_MAP_IDX 5
#endif
#ifndef BPF_PSEUDO_MAP_IDX_VALUE
#define BPF_PSEUDO_MAP_IDX_VALUE 6
#endif
/* src_reg of BPF_CALL */
#ifndef BPF_PSEUDO_CALL
#define BPF_PSEUDO_CALL 1
#endif
#ifndef BPF_PSEUDO_KFUNC_CALL
#define BPF_PSEUDO_KFUNC_CALL 2
#endif

/* ---- Builder macros, as the kernel spells them ---- */

#define BPF_RAW_INSN(CODE, DST, SRC, OFF, IMM) \
	((struct bpf_insn){ .code = (CODE), .dst_reg = (DST), .src_reg = (SRC), .off = (OFF), .imm = (IMM) })

/* ALU: dst op= src / imm */
#define BPF_ALU64_REG(OP, DST, SRC) BPF_RAW_INSN(BPF_ALU64 | BPF_OP(OP) | BPF_X, DST, SRC, 0, 0)
#define BPF_ALU32_REG(OP, DST, SRC) BPF_RAW_INSN(BPF_ALU | BPF_OP(OP) | BPF_X, DST, SRC, 0, 0)
#define BPF_ALU64_IMM(OP, DST, IMM) BPF_RAW_INSN(BPF_ALU64 | BPF_OP(OP) | BPF_K, DST, 0, 0, IMM)
#define BPF_ALU32_IMM(OP, DST, IMM) BPF_RAW_INSN(BPF_ALU | BPF_OP(OP) | BPF_K, DST, 0, 0, IMM)
/* signed division and modulo: off = 1 */
#define BPF_ALU64_REG_OFF(OP, DST, SRC, OFF) BPF_RAW_INSN(BPF_ALU64 | BPF_OP(OP) | BPF_X, DST, SRC, OFF, 0)
#define BPF_ALU32_REG_OFF(OP, DST, SRC, OFF) BPF_RAW_INSN(BPF_ALU | BPF_OP(OP) | BPF_X, DST, SRC, OFF, 0)
#define BPF_ALU64_IMM_OFF(OP, DST, IMM, OFF) BPF_RAW_INSN(BPF_ALU64 | BPF_OP(OP) | BPF_K, DST, 0, OFF, IMM)
#define BPF_ALU32_IMM_OFF(OP, DST, IMM, OFF) BPF_RAW_INSN(BPF_ALU | BPF_OP(OP) | BPF_K, DST, 0, OFF, IMM)

/* Byte swaps: BPF_ENDIAN(BPF_TO_BE, r, 16) and the unconditional BPF_BSWAP */
#define BPF_ENDIAN(TYPE, DST, LEN) BPF_RAW_INSN(BPF_ALU | BPF_END | BPF_SRC(TYPE), DST, 0, 0, LEN)
#define BPF_BSWAP(DST, LEN) BPF_RAW_INSN(BPF_ALU64 | BPF_END | BPF_SRC(BPF_TO_LE), DST, 0, 0, LEN)

/* Moves */
#define BPF_MOV64_REG(DST, SRC) BPF_ALU64_REG(BPF_MOV, DST, SRC)
#define BPF_MOV32_REG(DST, SRC) BPF_ALU32_REG(BPF_MOV, DST, SRC)
#define BPF_MOV64_IMM(DST, IMM) BPF_ALU64_IMM(BPF_MOV, DST, IMM)
#define BPF_MOV32_IMM(DST, IMM) BPF_ALU32_IMM(BPF_MOV, DST, IMM)
#define BPF_MOVSX64_REG(DST, SRC, OFF) BPF_RAW_INSN(BPF_ALU64 | BPF_MOV | BPF_X, DST, SRC, OFF, 0)
#define BPF_MOVSX32_REG(DST, SRC, OFF) BPF_RAW_INSN(BPF_ALU | BPF_MOV | BPF_X, DST, SRC, OFF, 0)
#define BPF_MOV64_RAW(TYPE, DST, SRC, IMM) BPF_RAW_INSN(BPF_ALU64 | BPF_MOV | BPF_SRC(TYPE), DST, SRC, 0, IMM)
#define BPF_MOV32_RAW(TYPE, DST, SRC, IMM) BPF_RAW_INSN(BPF_ALU | BPF_MOV | BPF_SRC(TYPE), DST, SRC, 0, IMM)
#define BPF_ZEXT_REG(DST) BPF_RAW_INSN(BPF_ALU | BPF_MOV | BPF_X, DST, DST, 0, 1)

/* Two-slot 64-bit immediate loads (expand to two initialisers) */
#define BPF_LD_IMM64_RAW(DST, SRC, IMM) \
	BPF_RAW_INSN(BPF_LD | BPF_DW | BPF_IMM, DST, SRC, 0, (int32_t)(uint32_t)(uint64_t)(IMM)), \
	BPF_RAW_INSN(0, 0, 0, 0, (int32_t)(uint32_t)(((uint64_t)(IMM)) >> 32))
#define BPF_LD_IMM64(DST, IMM) BPF_LD_IMM64_RAW(DST, 0, IMM)
#define BPF_LD_MAP_FD(DST, MAP_FD) BPF_LD_IMM64_RAW(DST, BPF_PSEUDO_MAP_FD, MAP_FD)
#define BPF_LD_MAP_VALUE(DST, MAP_FD, VALUE_OFF) \
	BPF_RAW_INSN(BPF_LD | BPF_DW | BPF_IMM, DST, BPF_PSEUDO_MAP_VALUE, 0, MAP_FD), \
	BPF_RAW_INSN(0, 0, 0, 0, VALUE_OFF)

/* Legacy packet loads: r0 = ntoh(*(size *)(skb->data + imm [+ src])) */
#define BPF_LD_ABS(SIZE, IMM) BPF_RAW_INSN(BPF_LD | BPF_SIZE(SIZE) | BPF_ABS, 0, 0, 0, IMM)
#define BPF_LD_IND(SIZE, SRC, IMM) BPF_RAW_INSN(BPF_LD | BPF_SIZE(SIZE) | BPF_IND, 0, SRC, 0, IMM)

/* Memory: dst = *(size *)(src + off); *(size *)(dst + off) = src / imm */
#define BPF_LDX_MEM(SIZE, DST, SRC, OFF) BPF_RAW_INSN(BPF_LDX | BPF_SIZE(SIZE) | BPF_MEM, DST, SRC, OFF, 0)
#define BPF_LDX_MEMSX(SIZE, DST, SRC, OFF) BPF_RAW_INSN(BPF_LDX | BPF_SIZE(SIZE) | BPF_MEMSX, DST, SRC, OFF, 0)
#define BPF_STX_MEM(SIZE, DST, SRC, OFF) BPF_RAW_INSN(BPF_STX | BPF_SIZE(SIZE) | BPF_MEM, DST, SRC, OFF, 0)
#define BPF_ST_MEM(SIZE, DST, OFF, IMM) BPF_RAW_INSN(BPF_ST | BPF_SIZE(SIZE) | BPF_MEM, DST, 0, OFF, IMM)

/* Atomics: BPF_ATOMIC_OP(BPF_DW, BPF_ADD | BPF_FETCH, dst, src, off) */
#define BPF_ATOMIC_OP(SIZE, OP, DST, SRC, OFF) BPF_RAW_INSN(BPF_STX | BPF_SIZE(SIZE) | BPF_ATOMIC, DST, SRC, OFF, OP)
#define BPF_STX_XADD(SIZE, DST, SRC, OFF) BPF_ATOMIC_OP(SIZE, BPF_ADD, DST, SRC, OFF)
#define BPF_LOAD_ACQUIRE(SIZE, DST, SRC, OFF) BPF_ATOMIC_OP(SIZE, BPF_LOAD_ACQ, DST, SRC, OFF)
#define BPF_STORE_RELEASE(SIZE, DST, SRC, OFF) BPF_ATOMIC_OP(SIZE, BPF_STORE_REL, DST, SRC, OFF)

/* Jumps: if (dst op src / imm) goto pc + 1 + off */
#define BPF_JMP_REG(OP, DST, SRC, OFF) BPF_RAW_INSN(BPF_JMP | BPF_OP(OP) | BPF_X, DST, SRC, OFF, 0)
#define BPF_JMP_IMM(OP, DST, IMM, OFF) BPF_RAW_INSN(BPF_JMP | BPF_OP(OP) | BPF_K, DST, 0, OFF, IMM)
#define BPF_JMP32_REG(OP, DST, SRC, OFF) BPF_RAW_INSN(BPF_JMP32 | BPF_OP(OP) | BPF_X, DST, SRC, OFF, 0)
#define BPF_JMP32_IMM(OP, DST, IMM, OFF) BPF_RAW_INSN(BPF_JMP32 | BPF_OP(OP) | BPF_K, DST, 0, OFF, IMM)
#define BPF_JMP_A(OFF) BPF_RAW_INSN(BPF_JMP | BPF_JA, 0, 0, OFF, 0)
#define BPF_JMP32_A(IMM) BPF_RAW_INSN(BPF_JMP32 | BPF_JA, 0, 0, 0, IMM) /* gotol */
#define BPF_MAY_GOTO_INSN(OFF) BPF_RAW_INSN(BPF_JMP | BPF_JCOND, 0, BPF_MAY_GOTO, OFF, 0)

/* Calls and exit */
#define BPF_CALL_HELPER(ID) BPF_RAW_INSN(BPF_JMP | BPF_CALL, 0, 0, 0, ID)
#define BPF_CALL_REL(IMM) BPF_RAW_INSN(BPF_JMP | BPF_CALL, 0, BPF_PSEUDO_CALL, 0, IMM)
#define BPF_CALLX(REG) BPF_RAW_INSN(BPF_JMP | BPF_CALL | BPF_X, REG, 0, 0, 0)
#define BPF_EXIT_INSN() BPF_RAW_INSN(BPF_JMP | BPF_EXIT, 0, 0, 0, 0)

#endif /* BPFVM_INSN_H */
