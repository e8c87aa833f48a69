/* test_insn_macros.c - the kernel's instruction builder macros as
 * include/bpfvm/insn.h provides them: the seed's sock_example listing,
 * written exactly as in the kernel's samples, compiles and produces the
 * expected bytes; every other macro encodes what the kernel's would (bytes
 * worked out by hand from the kernel's encoding: code, dst in the low nibble
 * and src in the high nibble of byte 1, off little-endian 16-bit, imm
 * little-endian 32-bit); each encoding is recognised by isa_lookup as the
 * intended row of the opcode table. Also the uapi constant values. */
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <linux/if_ether.h>
#include <linux/ip.h>

#include "testutil.h"
#include "isa.h"

static void expect_bytes(const char *what, const struct bpf_insn *insns, size_t n, const uint8_t *bytes)
{
	if (memcmp(insns, bytes, n * 8) == 0)
		return;
	const uint8_t *got = (const uint8_t *)insns;
	for (size_t i = 0; i < n * 8; i += 8)
		printf("%s slot %zu: %02x %02x %02x %02x %02x %02x %02x %02x, expected %02x %02x %02x %02x %02x %02x %02x %02x\n",
		       what, i / 8, got[i], got[i + 1], got[i + 2], got[i + 3], got[i + 4], got[i + 5], got[i + 6],
		       got[i + 7], bytes[i], bytes[i + 1], bytes[i + 2], bytes[i + 3], bytes[i + 4], bytes[i + 5],
		       bytes[i + 6], bytes[i + 7]);
	fail_msg("%s: wrong encoding", what);
}

static void test_layout(void **state)
{
	assert_int_equal(sizeof(struct bpf_insn), 8);
	struct bpf_insn in = BPF_RAW_INSN(0xab, 0x3, 0xc, -2, -3);
	const uint8_t want[8] = { 0xab, 0xc3, 0xfe, 0xff, 0xfd, 0xff, 0xff, 0xff };
	expect_bytes("BPF_RAW_INSN(0xab, 3, 12, -2, -3)", &in, 1, want);
}

/* The seed's sock_example (samples/bpf/sock_example.c), verbatim. */
static void test_sock_example(void **state)
{
	int map_fd = 3;
	struct bpf_insn prog[] = {
		BPF_MOV64_REG(BPF_REG_6, BPF_REG_1),
		BPF_LD_ABS(BPF_B, ETH_HLEN + offsetof(struct iphdr, protocol) /* R0 = ip->proto */),
		BPF_STX_MEM(BPF_W, BPF_REG_10, BPF_REG_0, -4), /* *(u32 *)(fp - 4) = r0 */
		BPF_MOV64_REG(BPF_REG_2, BPF_REG_10),
		BPF_ALU64_IMM(BPF_ADD, BPF_REG_2, -4), /* r2 = fp - 4 */
		BPF_LD_MAP_FD(BPF_REG_1, map_fd),
		BPF_RAW_INSN(BPF_JMP | BPF_CALL, 0, 0, 0, BPF_FUNC_map_lookup_elem),
		BPF_JMP_IMM(BPF_JEQ, BPF_REG_0, 0, 2),
		BPF_MOV64_IMM(BPF_REG_1, 1), /* r1 = 1 */
		BPF_RAW_INSN(BPF_STX | BPF_XADD | BPF_DW, BPF_REG_0, BPF_REG_1, 0, 0),
		BPF_MOV64_IMM(BPF_REG_0, 0), /* r0 = 0 */
		BPF_EXIT_INSN(),
	};
	/* ETH_HLEN 14 + offsetof(iphdr, protocol) 9 = 23 = 0x17 */
	static const uint8_t want[] = {
		0xbf, 0x16, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, /* mov64 r6 = r1: alu64|mov|x, src 1 dst 6 */
		0x30, 0x00, 0x00, 0x00, 0x17, 0x00, 0x00, 0x00, /* ld|abs|b, imm 23 */
		0x63, 0x0a, 0xfc, 0xff, 0x00, 0x00, 0x00, 0x00, /* stx|mem|w, dst 10 src 0, off -4 */
		0xbf, 0xa2, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, /* mov64 r2 = r10 */
		0x07, 0x02, 0x00, 0x00, 0xfc, 0xff, 0xff, 0xff, /* alu64|add|k, dst 2, imm -4 */
		0x18, 0x11, 0x00, 0x00, 0x03, 0x00, 0x00, 0x00, /* ld|imm|dw, dst 1 src 1 (map fd), imm 3 */
		0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, /* second slot: upper half 0 */
		0x85, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, /* jmp|call, imm 1 (map_lookup_elem) */
		0x15, 0x00, 0x02, 0x00, 0x00, 0x00, 0x00, 0x00, /* jmp|jeq|k, dst 0, off 2, imm 0 */
		0xb7, 0x01, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, /* alu64|mov|k, dst 1, imm 1 */
		0xdb, 0x10, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, /* stx|xadd|dw, dst 0 src 1 */
		0xb7, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, /* r0 = 0 */
		0x95, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, /* exit */
	};
	assert_int_equal(sizeof(prog), sizeof(want));
	expect_bytes("sock_example", prog, sizeof(prog) / 8, want);
	static const int rows[] = {
		BPFVM_OP_MOV64_REG, BPFVM_OP_LDABS_B, BPFVM_OP_STX_W, BPFVM_OP_MOV64_REG, BPFVM_OP_ADD64_IMM,
		BPFVM_OP_LDDW_MAP_FD, -1, BPFVM_OP_CALL, BPFVM_OP_JEQ_IMM, BPFVM_OP_MOV64_IMM, BPFVM_OP_ATOMIC_ADD_DW,
		BPFVM_OP_MOV64_IMM, BPFVM_OP_EXIT,
	};
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++)
		if (rows[i] >= 0)
			assert_int_equal(isa_lookup(&prog[i]), rows[i]);
	assert_int_equal(isa_validate(prog, sizeof(prog) / 8, NULL), 0);
}

struct mcase {
	const char *text;
	int op;                  /* expected isa_table row */
	struct bpf_insn insn[2];
	uint8_t bytes[16];
	size_t nbytes;           /* 8, or 16 for lddw */
};

#define M(OP, EXPR, ...) \
	{ #EXPR, BPFVM_OP_##OP, { EXPR }, { __VA_ARGS__ }, sizeof((uint8_t[]){ __VA_ARGS__ }) }

#define R0 BPF_REG_0
#define R1 BPF_REG_1
#define R2 BPF_REG_2
#define R3 BPF_REG_3
#define R4 BPF_REG_4
#define R5 BPF_REG_5
#define R6 BPF_REG_6
#define R7 BPF_REG_7
#define R9 BPF_REG_9
#define R10 BPF_REG_10

static const struct mcase macros[] = {
	/* ALU */
	M(ADD64_REG, BPF_ALU64_REG(BPF_ADD, R1, R2), 0x0f, 0x21, 0, 0, 0, 0, 0, 0),
	M(SUB32_REG, BPF_ALU32_REG(BPF_SUB, R3, R4), 0x1c, 0x43, 0, 0, 0, 0, 0, 0),
	M(MUL64_IMM, BPF_ALU64_IMM(BPF_MUL, R5, -2), 0x27, 0x05, 0, 0, 0xfe, 0xff, 0xff, 0xff),
	M(XOR32_IMM, BPF_ALU32_IMM(BPF_XOR, R9, 0x12345678), 0xa4, 0x09, 0, 0, 0x78, 0x56, 0x34, 0x12),
	M(LSH64_IMM, BPF_ALU64_IMM(BPF_LSH, R1, 3), 0x67, 0x01, 0, 0, 3, 0, 0, 0),
	M(ARSH32_REG, BPF_ALU32_REG(BPF_ARSH, R1, R2), 0xcc, 0x21, 0, 0, 0, 0, 0, 0),
	M(NEG64, BPF_ALU64_IMM(BPF_NEG, R4, 0), 0x87, 0x04, 0, 0, 0, 0, 0, 0),
	M(NEG32, BPF_ALU32_IMM(BPF_NEG, R4, 0), 0x84, 0x04, 0, 0, 0, 0, 0, 0),
	M(SDIV64_REG, BPF_ALU64_REG_OFF(BPF_DIV, R1, R2, 1), 0x3f, 0x21, 1, 0, 0, 0, 0, 0),
	M(SMOD32_REG, BPF_ALU32_REG_OFF(BPF_MOD, R1, R2, 1), 0x9c, 0x21, 1, 0, 0, 0, 0, 0),
	M(SMOD64_IMM, BPF_ALU64_IMM_OFF(BPF_MOD, R0, 7, 1), 0x97, 0x00, 1, 0, 7, 0, 0, 0),
	M(SDIV32_IMM, BPF_ALU32_IMM_OFF(BPF_DIV, R0, -3, 1), 0x34, 0x00, 1, 0, 0xfd, 0xff, 0xff, 0xff),
	M(DIV64_IMM, BPF_ALU64_IMM_OFF(BPF_DIV, R0, 3, 0), 0x37, 0x00, 0, 0, 3, 0, 0, 0),
	/* byte order */
	M(BE16, BPF_ENDIAN(BPF_TO_BE, R1, 16), 0xdc, 0x01, 0, 0, 16, 0, 0, 0),
	M(BE32, BPF_ENDIAN(BPF_FROM_BE, R1, 32), 0xdc, 0x01, 0, 0, 32, 0, 0, 0),
	M(LE64, BPF_ENDIAN(BPF_TO_LE, R2, 64), 0xd4, 0x02, 0, 0, 64, 0, 0, 0),
	M(BSWAP16, BPF_BSWAP(R3, 16), 0xd7, 0x03, 0, 0, 16, 0, 0, 0),
	M(BSWAP32, BPF_BSWAP(R3, 32), 0xd7, 0x03, 0, 0, 32, 0, 0, 0),
	M(BSWAP64, BPF_BSWAP(R3, 64), 0xd7, 0x03, 0, 0, 64, 0, 0, 0),
	/* moves */
	M(MOV64_REG, BPF_MOV64_REG(R6, R1), 0xbf, 0x16, 0, 0, 0, 0, 0, 0),
	M(MOV32_REG, BPF_MOV32_REG(R0, R7), 0xbc, 0x70, 0, 0, 0, 0, 0, 0),
	M(MOV64_IMM, BPF_MOV64_IMM(R0, -1), 0xb7, 0x00, 0, 0, 0xff, 0xff, 0xff, 0xff),
	M(MOV32_IMM, BPF_MOV32_IMM(R1, 5), 0xb4, 0x01, 0, 0, 5, 0, 0, 0),
	M(MOVSX64_8, BPF_MOVSX64_REG(R1, R2, 8), 0xbf, 0x21, 8, 0, 0, 0, 0, 0),
	M(MOVSX64_16, BPF_MOVSX64_REG(R1, R2, 16), 0xbf, 0x21, 16, 0, 0, 0, 0, 0),
	M(MOVSX64_32, BPF_MOVSX64_REG(R1, R2, 32), 0xbf, 0x21, 32, 0, 0, 0, 0, 0),
	M(MOVSX32_8, BPF_MOVSX32_REG(R1, R2, 8), 0xbc, 0x21, 8, 0, 0, 0, 0, 0),
	M(MOVSX32_16, BPF_MOVSX32_REG(R1, R2, 16), 0xbc, 0x21, 16, 0, 0, 0, 0, 0),
	M(MOV64_REG, BPF_MOV64_RAW(BPF_X, R1, R2, 0), 0xbf, 0x21, 0, 0, 0, 0, 0, 0),
	M(MOV64_IMM, BPF_MOV64_RAW(BPF_K, R1, 0, 7), 0xb7, 0x01, 0, 0, 7, 0, 0, 0),
	M(MOV32_IMM, BPF_MOV32_RAW(BPF_K, R1, 0, 7), 0xb4, 0x01, 0, 0, 7, 0, 0, 0),
	M(MOV32_REG, BPF_MOV32_RAW(BPF_X, R1, R2, 0), 0xbc, 0x21, 0, 0, 0, 0, 0, 0),
	/* 64-bit immediates: the upper half in the second slot's imm */
	M(LDDW, BPF_LD_IMM64(R1, 0x123456789abcdef0ULL), 0x18, 0x01, 0, 0, 0xf0, 0xde, 0xbc, 0x9a, 0, 0, 0, 0, 0x78, 0x56,
	  0x34, 0x12),
	M(LDDW, BPF_LD_IMM64(R0, -2), 0x18, 0x00, 0, 0, 0xfe, 0xff, 0xff, 0xff, 0, 0, 0, 0, 0xff, 0xff, 0xff, 0xff),
	M(LDDW_FUNC, BPF_LD_IMM64_RAW(R2, BPF_PSEUDO_FUNC, 5), 0x18, 0x42, 0, 0, 5, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0),
	M(LDDW_MAP_FD, BPF_LD_MAP_FD(R1, 3), 0x18, 0x11, 0, 0, 3, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0),
	M(LDDW_MAP_VALUE, BPF_LD_MAP_VALUE(R1, 4, 16), 0x18, 0x21, 0, 0, 4, 0, 0, 0, 0, 0, 0, 0, 16, 0, 0, 0),
	M(LDDW_MAP_IDX, BPF_LD_IMM64_RAW(R1, BPF_PSEUDO_MAP_IDX, 2), 0x18, 0x51, 0, 0, 2, 0, 0, 0, 0, 0, 0, 0, 0, 0,
	  0, 0),
	/* packet loads */
	M(LDABS_B, BPF_LD_ABS(BPF_B, 23), 0x30, 0, 0, 0, 23, 0, 0, 0),
	M(LDABS_H, BPF_LD_ABS(BPF_H, 12), 0x28, 0, 0, 0, 12, 0, 0, 0),
	M(LDABS_W, BPF_LD_ABS(BPF_W, 26), 0x20, 0, 0, 0, 26, 0, 0, 0),
	M(LDIND_W, BPF_LD_IND(BPF_W, R7, -4), 0x40, 0x70, 0, 0, 0xfc, 0xff, 0xff, 0xff),
	M(LDIND_H, BPF_LD_IND(BPF_H, R7, 2), 0x48, 0x70, 0, 0, 2, 0, 0, 0),
	M(LDIND_B, BPF_LD_IND(BPF_B, R2, 1), 0x50, 0x20, 0, 0, 1, 0, 0, 0),
	/* memory */
	M(LDX_DW, BPF_LDX_MEM(BPF_DW, R0, R1, -8), 0x79, 0x10, 0xf8, 0xff, 0, 0, 0, 0),
	M(LDX_B, BPF_LDX_MEM(BPF_B, R2, R10, -1), 0x71, 0xa2, 0xff, 0xff, 0, 0, 0, 0),
	M(LDX_H, BPF_LDX_MEM(BPF_H, R2, R1, 0x100), 0x69, 0x12, 0x00, 0x01, 0, 0, 0, 0),
	M(LDX_W, BPF_LDX_MEM(BPF_W, R2, R1, 4), 0x61, 0x12, 4, 0, 0, 0, 0, 0),
	M(LDXS_B, BPF_LDX_MEMSX(BPF_B, R1, R2, 4), 0x91, 0x21, 4, 0, 0, 0, 0, 0),
	M(LDXS_H, BPF_LDX_MEMSX(BPF_H, R1, R2, 4), 0x89, 0x21, 4, 0, 0, 0, 0, 0),
	M(LDXS_W, BPF_LDX_MEMSX(BPF_W, R1, R2, -4), 0x81, 0x21, 0xfc, 0xff, 0, 0, 0, 0),
	M(STX_H, BPF_STX_MEM(BPF_H, R10, R3, -2), 0x6b, 0x3a, 0xfe, 0xff, 0, 0, 0, 0),
	M(STX_DW, BPF_STX_MEM(BPF_DW, R1, R2, 8), 0x7b, 0x21, 8, 0, 0, 0, 0, 0),
	M(STX_B, BPF_STX_MEM(BPF_B, R1, R2, 0), 0x73, 0x21, 0, 0, 0, 0, 0, 0),
	M(ST_W, BPF_ST_MEM(BPF_W, R10, -4, 0x7fffffff), 0x62, 0x0a, 0xfc, 0xff, 0xff, 0xff, 0xff, 0x7f),
	M(ST_DW, BPF_ST_MEM(BPF_DW, R1, 8, -1), 0x7a, 0x01, 8, 0, 0xff, 0xff, 0xff, 0xff),
	M(ST_B, BPF_ST_MEM(BPF_B, R1, 1, 0x5a), 0x72, 0x01, 1, 0, 0x5a, 0, 0, 0),
	M(ST_H, BPF_ST_MEM(BPF_H, R1, 2, 0x1234), 0x6a, 0x01, 2, 0, 0x34, 0x12, 0, 0),
	/* atomics: the operation in imm */
	M(ATOMIC_FETCH_ADD_DW, BPF_ATOMIC_OP(BPF_DW, BPF_ADD | BPF_FETCH, R1, R2, 8), 0xdb, 0x21, 8, 0, 1, 0, 0, 0),
	M(ATOMIC_CMPXCHG_W, BPF_ATOMIC_OP(BPF_W, BPF_CMPXCHG, R1, R2, 0), 0xc3, 0x21, 0, 0, 0xf1, 0, 0, 0),
	M(ATOMIC_XCHG_W, BPF_ATOMIC_OP(BPF_W, BPF_XCHG, R1, R2, 0), 0xc3, 0x21, 0, 0, 0xe1, 0, 0, 0),
	M(ATOMIC_AND_DW, BPF_ATOMIC_OP(BPF_DW, BPF_AND, R1, R2, -8), 0xdb, 0x21, 0xf8, 0xff, 0x50, 0, 0, 0),
	M(ATOMIC_FETCH_OR_W, BPF_ATOMIC_OP(BPF_W, BPF_OR | BPF_FETCH, R1, R2, 0), 0xc3, 0x21, 0, 0, 0x41, 0, 0, 0),
	M(ATOMIC_XOR_W, BPF_ATOMIC_OP(BPF_W, BPF_XOR, R1, R2, 0), 0xc3, 0x21, 0, 0, 0xa0, 0, 0, 0),
	M(ATOMIC_ADD_W, BPF_STX_XADD(BPF_W, R1, R2, 0), 0xc3, 0x21, 0, 0, 0, 0, 0, 0),
	M(ATOMIC_ADD_DW, BPF_STX_XADD(BPF_DW, R0, R1, 0), 0xdb, 0x10, 0, 0, 0, 0, 0, 0),
	M(LOAD_ACQ_B, BPF_LOAD_ACQUIRE(BPF_B, R0, R1, 2), 0xd3, 0x10, 2, 0, 0x00, 0x01, 0, 0),
	M(LOAD_ACQ_DW, BPF_ATOMIC_OP(BPF_DW, BPF_LOAD_ACQ, R0, R1, 0), 0xdb, 0x10, 0, 0, 0x00, 0x01, 0, 0),
	M(STORE_REL_DW, BPF_STORE_RELEASE(BPF_DW, R1, R2, 0), 0xdb, 0x21, 0, 0, 0x10, 0x01, 0, 0),
	M(STORE_REL_H, BPF_STORE_RELEASE(BPF_H, R1, R2, 6), 0xcb, 0x21, 6, 0, 0x10, 0x01, 0, 0),
	/* jumps */
	M(JSGT_REG, BPF_JMP_REG(BPF_JSGT, R1, R2, -3), 0x6d, 0x21, 0xfd, 0xff, 0, 0, 0, 0),
	M(JEQ_IMM, BPF_JMP_IMM(BPF_JEQ, R0, 0, 2), 0x15, 0x00, 2, 0, 0, 0, 0, 0),
	M(JNE_IMM, BPF_JMP_IMM(BPF_JNE, R3, -1, 1), 0x55, 0x03, 1, 0, 0xff, 0xff, 0xff, 0xff),
	M(JLE_REG, BPF_JMP_REG(BPF_JLE, R1, R2, 0x7fff), 0xbd, 0x21, 0xff, 0x7f, 0, 0, 0, 0),
	M(JSLE_IMM, BPF_JMP_IMM(BPF_JSLE, R1, 4, -32768), 0xd5, 0x01, 0x00, 0x80, 4, 0, 0, 0),
	M(JLT32_REG, BPF_JMP32_REG(BPF_JLT, R1, R2, 5), 0xae, 0x21, 5, 0, 0, 0, 0, 0),
	M(JSET32_IMM, BPF_JMP32_IMM(BPF_JSET, R3, 0x80, 1), 0x46, 0x03, 1, 0, 0x80, 0, 0, 0),
	M(JSGE32_IMM, BPF_JMP32_IMM(BPF_JSGE, R3, -2, 1), 0x76, 0x03, 1, 0, 0xfe, 0xff, 0xff, 0xff),
	M(JA, BPF_JMP_A(-1), 0x05, 0, 0xff, 0xff, 0, 0, 0, 0),
	M(JA32, BPF_JMP32_A(70000), 0x06, 0, 0, 0, 0x70, 0x11, 0x01, 0x00),
	M(MAY_GOTO, BPF_MAY_GOTO_INSN(3), 0xe5, 0, 3, 0, 0, 0, 0, 0),
	/* calls */
	M(CALL, BPF_CALL_HELPER(12), 0x85, 0, 0, 0, 12, 0, 0, 0),
	M(CALL, BPF_RAW_INSN(BPF_JMP | BPF_CALL, 0, 0, 0, BPF_FUNC_map_lookup_elem), 0x85, 0, 0, 0, 1, 0, 0, 0),
	M(CALL_LOCAL, BPF_CALL_REL(-7), 0x85, 0x10, 0, 0, 0xf9, 0xff, 0xff, 0xff),
	M(CALL_KFUNC, BPF_RAW_INSN(BPF_JMP | BPF_CALL, 0, BPF_PSEUDO_KFUNC_CALL, 0, 99), 0x85, 0x20, 0, 0, 99, 0, 0, 0),
	M(CALLX, BPF_CALLX(R5), 0x8d, 0x05, 0, 0, 0, 0, 0, 0),
	M(EXIT, BPF_EXIT_INSN(), 0x95, 0, 0, 0, 0, 0, 0, 0),
};

static void test_macros(void **state)
{
	char why[160];
	for (size_t i = 0; i < sizeof(macros) / sizeof(macros[0]); i++) {
		const struct mcase *m = &macros[i];
		size_t slots = m->nbytes / 8;
		assert_true(m->nbytes == 8 || m->nbytes == 16);
		expect_bytes(m->text, m->insn, slots, m->bytes);
		int op = isa_lookup(&m->insn[0]);
		if (op != m->op)
			fail_msg("%s: isa_lookup gives %s, expected %s", m->text, op >= 0 ? isa_table[op].name : "nothing",
				 isa_table[m->op].name);
		if (isa_check_fields(op, &m->insn[0], why, sizeof(why)))
			fail_msg("%s: %s", m->text, why);
		assert_int_equal(isa_is_lddw(op) ? 16 : 8, m->nbytes);
	}
	printf("%zu macro encodings checked\n", sizeof(macros) / sizeof(macros[0]));
}

/* The kernel's verifier-internal zero-extension: mov32 dst, dst with imm 1.
 * It encodes as the kernel's does, but user programs may not use it (imm is
 * reserved in a register mov), so the validator refuses it. */
static void test_zext(void **state)
{
	struct bpf_insn p[] = { BPF_ZEXT_REG(BPF_REG_4), BPF_EXIT_INSN() };
	const uint8_t want[8] = { 0xbc, 0x44, 0, 0, 1, 0, 0, 0 };
	expect_bytes("BPF_ZEXT_REG(4)", p, 1, want);
	assert_int_equal(isa_lookup(&p[0]), BPFVM_OP_MOV32_REG);
	struct bpfvm_error err;
	assert_int_equal(isa_validate(p, 2, &err), BPFVM_EDECODE);
	assert_int_equal(err.insn, 0);
}

/* The constants as the kernel's uapi defines them. */
static void test_constants(void **state)
{
	assert_int_equal(BPF_LD, 0x00);
	assert_int_equal(BPF_LDX, 0x01);
	assert_int_equal(BPF_ST, 0x02);
	assert_int_equal(BPF_STX, 0x03);
	assert_int_equal(BPF_ALU, 0x04);
	assert_int_equal(BPF_JMP, 0x05);
	assert_int_equal(BPF_JMP32, 0x06);
	assert_int_equal(BPF_ALU64, 0x07);
	assert_int_equal(BPF_W, 0x00);
	assert_int_equal(BPF_H, 0x08);
	assert_int_equal(BPF_B, 0x10);
	assert_int_equal(BPF_DW, 0x18);
	assert_int_equal(BPF_IMM, 0x00);
	assert_int_equal(BPF_ABS, 0x20);
	assert_int_equal(BPF_IND, 0x40);
	assert_int_equal(BPF_MEM, 0x60);
	assert_int_equal(BPF_MEMSX, 0x80);
	assert_int_equal(BPF_ATOMIC, 0xc0);
	assert_int_equal(BPF_XADD, 0xc0);
	assert_int_equal(BPF_MOV, 0xb0);
	assert_int_equal(BPF_ARSH, 0xc0);
	assert_int_equal(BPF_END, 0xd0);
	assert_int_equal(BPF_TO_LE, 0x00);
	assert_int_equal(BPF_TO_BE, 0x08);
	assert_int_equal(BPF_K, 0x00);
	assert_int_equal(BPF_X, 0x08);
	assert_int_equal(BPF_JNE, 0x50);
	assert_int_equal(BPF_JSGT, 0x60);
	assert_int_equal(BPF_JSGE, 0x70);
	assert_int_equal(BPF_CALL, 0x80);
	assert_int_equal(BPF_EXIT, 0x90);
	assert_int_equal(BPF_JLT, 0xa0);
	assert_int_equal(BPF_JLE, 0xb0);
	assert_int_equal(BPF_JSLT, 0xc0);
	assert_int_equal(BPF_JSLE, 0xd0);
	assert_int_equal(BPF_JCOND, 0xe0);
	assert_int_equal(BPF_MAY_GOTO, 0);
	assert_int_equal(BPF_FETCH, 0x01);
	assert_int_equal(BPF_XCHG, 0xe1);
	assert_int_equal(BPF_CMPXCHG, 0xf1);
	assert_int_equal(BPF_LOAD_ACQ, 0x100);
	assert_int_equal(BPF_STORE_REL, 0x110);
	assert_int_equal(BPF_PSEUDO_MAP_FD, 1);
	assert_int_equal(BPF_PSEUDO_MAP_VALUE, 2);
	assert_int_equal(BPF_PSEUDO_BTF_ID, 3);
	assert_int_equal(BPF_PSEUDO_FUNC, 4);
	assert_int_equal(BPF_PSEUDO_MAP_IDX, 5);
	assert_int_equal(BPF_PSEUDO_MAP_IDX_VALUE, 6);
	assert_int_equal(BPF_PSEUDO_CALL, 1);
	assert_int_equal(BPF_PSEUDO_KFUNC_CALL, 2);
	assert_int_equal(BPF_REG_10, 10);
	assert_int_equal(MAX_BPF_REG, 11);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_layout),
		cmocka_unit_test(test_sock_example),
		cmocka_unit_test(test_macros),
		cmocka_unit_test(test_zext),
		cmocka_unit_test(test_constants),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
