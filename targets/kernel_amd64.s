//go:build amd64 && !purego

#include "textflag.h"

// func cuba24AVX2(u, v, acc, bias, spk []int32, base, du, dv, vth int32, sh uint64) int
TEXT ·cuba24AVX2(SB), NOSPLIT, $0-152
	MOVQ         u_base+0(FP), DI
	MOVQ         u_len+8(FP), DX
	MOVQ         v_base+24(FP), SI
	MOVQ         acc_base+48(FP), R8
	MOVQ         bias_base+72(FP), R9
	MOVQ         spk_base+96(FP), R10
	MOVL         base+120(FP), R12
	MOVL         du+124(FP), AX
	MOVQ         AX, X15
	VPBROADCASTD X15, Y15
	MOVL         dv+128(FP), AX
	MOVQ         AX, X14
	VPBROADCASTD X14, Y14
	MOVL         vth+132(FP), AX
	MOVQ         AX, X10
	VPBROADCASTD X10, Y10
	MOVQ         sh+136(FP), X9
	MOVL         $4095, AX
	MOVQ         AX, X13
	VPBROADCASTD X13, Y13
	MOVL         $0x7fffff, AX
	MOVQ         AX, X12
	VPBROADCASTD X12, Y12
	MOVL         $-0x7fffff, AX
	MOVQ         AX, X11
	VPBROADCASTD X11, Y11
	VPXOR        Y8, Y8, Y8
	XORQ         R11, R11 // spikes written
	XORQ         CX, CX   // neuron index

loopn:
	CMPQ CX, DX
	JGE  donen

	// u ← wrap24(decay(u, du) + acc<<sh)
	VMOVDQU (DI)(CX*4), Y0
	VPABSD  Y0, Y1
	VPSRLD  $12, Y1, Y2
	VPAND   Y13, Y1, Y3
	VPMULLD Y15, Y2, Y2
	VPMULLD Y15, Y3, Y3
	VPSRLD  $12, Y3, Y3
	VPADDD  Y3, Y2, Y2
	VPSIGND Y0, Y2, Y4
	VMOVDQU (R8)(CX*4), Y5
	VMOVDQU Y8, (R8)(CX*4)
	VPSLLD  X9, Y5, Y5
	VPADDD  Y5, Y4, Y4
	VPSLLD  $8, Y4, Y4
	VPSRAD  $8, Y4, Y4
	VMOVDQU Y4, (DI)(CX*4)

	// v ← clip24(decay(v, dv) + u + bias)
	VMOVDQU (SI)(CX*4), Y0
	VPABSD  Y0, Y1
	VPSRLD  $12, Y1, Y2
	VPAND   Y13, Y1, Y3
	VPMULLD Y14, Y2, Y2
	VPMULLD Y14, Y3, Y3
	VPSRLD  $12, Y3, Y3
	VPADDD  Y3, Y2, Y2
	VPSIGND Y0, Y2, Y7
	VPADDD  Y4, Y7, Y7
	VPADDD  (R9)(CX*4), Y7, Y7
	VPMINSD Y12, Y7, Y7
	VPMAXSD Y11, Y7, Y7

	// spike when v > vth, then v ← 0
	VPCMPGTD  Y10, Y7, Y0
	VPANDN    Y7, Y0, Y7
	VMOVDQU   Y7, (SI)(CX*4)
	VMOVMSKPS Y0, AX

bits:
	TESTQ AX, AX
	JZ    nextn
	BSFQ  AX, BX
	ADDQ  CX, BX
	ADDQ  R12, BX
	MOVL  BX, (R10)(R11*4)
	INCQ  R11
	LEAQ  -1(AX), BX
	ANDQ  BX, AX
	JMP   bits

nextn:
	ADDQ $8, CX
	JMP  loopn

donen:
	MOVQ R11, ret+144(FP)
	VZEROUPPER
	RET

// func linearLeakAVX2(v, acc, bias, spk []int32, base int32, q *linearLeak32) int
TEXT ·linearLeakAVX2(SB), NOSPLIT, $0-120
	MOVQ         v_base+0(FP), DI
	MOVQ         v_len+8(FP), DX
	MOVQ         acc_base+24(FP), R8
	MOVQ         bias_base+48(FP), R9
	MOVQ         spk_base+72(FP), R10
	MOVL         base+96(FP), R12
	MOVQ         q+104(FP), SI
	VPBROADCASTD 0(SI), Y15  // accLim
	VPBROADCASTD 4(SI), Y14  // leak
	VPBROADCASTD 8(SI), Y13  // lim
	VPBROADCASTD 12(SI), Y12 // thr − 1
	VPBROADCASTD 16(SI), Y11 // sub
	VPBROADCASTD 20(SI), Y10 // zero
	VPBROADCASTD 24(SI), Y9  // rv
	VPBROADCASTD 28(SI), Y7  // floor
	VPXOR        Y8, Y8, Y8
	VPSUBD       Y15, Y8, Y6 // −accLim
	VPSUBD       Y13, Y8, Y5 // −lim
	MOVL         32(SI), R13 // idle
	LEAQ         ·spikeLanes(SB), R14
	XORQ         R11, R11    // spikes written
	XORQ         CX, CX      // neuron index

loopt:
	CMPQ CX, DX
	JGE  donet
	VMOVDQU (R8)(CX*4), Y0

	// q.idle: 8 neurons with v, acc and bias all zero stay so, without
	// a spike
	TESTL  R13, R13
	JZ     updatet
	VPOR   (DI)(CX*4), Y0, Y1
	VPOR   (R9)(CX*4), Y1, Y1
	VPTEST Y1, Y1
	JZ     nextt

updatet:
	// x ← clip(v + clamp(acc) + bias − leak, ±lim)
	VMOVDQU Y8, (R8)(CX*4)
	VPMINSD Y15, Y0, Y0
	VPMAXSD Y6, Y0, Y0
	VPADDD  (DI)(CX*4), Y0, Y0
	VPADDD  (R9)(CX*4), Y0, Y0
	VPSUBD  Y14, Y0, Y0
	VPMINSD Y13, Y0, Y0
	VPMAXSD Y5, Y0, Y0

	// m: x ≥ thr; x ← (x − sub&m) &^ (zero&m) | rv&zero&m; x ← max(x, floor)
	VPCMPGTD  Y12, Y0, Y1
	VPAND     Y11, Y1, Y2
	VPSUBD    Y2, Y0, Y0
	VPAND     Y10, Y1, Y2
	VPANDN    Y0, Y2, Y0
	VPAND     Y9, Y2, Y3
	VPOR      Y3, Y0, Y0
	VPMAXSD   Y7, Y0, Y0
	VMOVDQU   Y0, (DI)(CX*4)
	VMOVMSKPS Y1, AX

	// the spiking lanes' indices base+j, packed (spikeLanes), written
	// whole: spikes written ≤ neuron index, so the 8 stores stay below
	// len(v)
	VPMOVZXBD    (R14)(AX*8), Y2
	LEAQ         (CX)(R12*1), BX
	MOVQ         BX, X3
	VPBROADCASTD X3, Y3
	VPADDD       Y3, Y2, Y2
	VMOVDQU      Y2, (R10)(R11*4)
	POPCNTQ      AX, AX
	ADDQ         AX, R11

nextt:
	ADDQ $8, CX
	JMP  loopt

donet:
	MOVQ R11, ret+112(FP)
	VZEROUPPER
	RET
