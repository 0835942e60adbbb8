//go:build amd64 && !purego

#include "textflag.h"

// func add4AVX2(acc []int32, a, b, c, d []int16)
TEXT ·add4AVX2(SB), NOSPLIT, $0-120
	MOVQ acc_base+0(FP), DI
	MOVQ acc_len+8(FP), CX
	MOVQ a_base+24(FP), R8
	MOVQ b_base+48(FP), R9
	MOVQ c_base+72(FP), R10
	MOVQ d_base+96(FP), R11
	XORQ AX, AX
	MOVQ CX, DX
	ANDQ $-16, DX

loop16:
	CMPQ      AX, DX
	JGE       tail8
	VPMOVSXWD (R8)(AX*2), Y0
	VPMOVSXWD (R9)(AX*2), Y1
	VPMOVSXWD (R10)(AX*2), Y2
	VPMOVSXWD (R11)(AX*2), Y3
	VPMOVSXWD 16(R8)(AX*2), Y4
	VPMOVSXWD 16(R9)(AX*2), Y5
	VPMOVSXWD 16(R10)(AX*2), Y6
	VPMOVSXWD 16(R11)(AX*2), Y7
	VPADDD    Y1, Y0, Y0
	VPADDD    Y3, Y2, Y2
	VPADDD    Y5, Y4, Y4
	VPADDD    Y7, Y6, Y6
	VPADDD    Y2, Y0, Y0
	VPADDD    Y6, Y4, Y4
	VPADDD    (DI)(AX*4), Y0, Y0
	VPADDD    32(DI)(AX*4), Y4, Y4
	VMOVDQU   Y0, (DI)(AX*4)
	VMOVDQU   Y4, 32(DI)(AX*4)
	ADDQ      $16, AX
	JMP       loop16

tail8:
	MOVQ CX, DX
	ANDQ $-8, DX
	CMPQ AX, DX
	JGE  done
	VPMOVSXWD (R8)(AX*2), Y0
	VPMOVSXWD (R9)(AX*2), Y1
	VPMOVSXWD (R10)(AX*2), Y2
	VPMOVSXWD (R11)(AX*2), Y3
	VPADDD    Y1, Y0, Y0
	VPADDD    Y3, Y2, Y2
	VPADDD    Y2, Y0, Y0
	VPADDD    (DI)(AX*4), Y0, Y0
	VMOVDQU   Y0, (DI)(AX*4)

done:
	VZEROUPPER
	RET

// func add1AVX2(acc []int32, a []int16)
TEXT ·add1AVX2(SB), NOSPLIT, $0-48
	MOVQ acc_base+0(FP), DI
	MOVQ acc_len+8(FP), CX
	MOVQ a_base+24(FP), R8
	XORQ AX, AX
	ANDQ $-8, CX

loop8:
	CMPQ      AX, CX
	JGE       done1
	VPMOVSXWD (R8)(AX*2), Y0
	VPADDD    (DI)(AX*4), Y0, Y0
	VMOVDQU   Y0, (DI)(AX*4)
	ADDQ      $8, AX
	JMP       loop8

done1:
	VZEROUPPER
	RET

// func add4fAVX2(acc, a, b, c, d []float32)
TEXT ·add4fAVX2(SB), NOSPLIT, $0-120
	MOVQ acc_base+0(FP), DI
	MOVQ acc_len+8(FP), CX
	MOVQ a_base+24(FP), R8
	MOVQ b_base+48(FP), R9
	MOVQ c_base+72(FP), R10
	MOVQ d_base+96(FP), R11
	XORQ AX, AX
	ANDQ $-8, CX

loopf:
	CMPQ    AX, CX
	JGE     donef
	VMOVUPS (R8)(AX*4), Y0
	VADDPS  (R9)(AX*4), Y0, Y0
	VMOVUPS (R10)(AX*4), Y1
	VADDPS  (R11)(AX*4), Y1, Y1
	VADDPS  Y1, Y0, Y0
	VADDPS  (DI)(AX*4), Y0, Y0
	VMOVUPS Y0, (DI)(AX*4)
	ADDQ    $8, AX
	JMP     loopf

donef:
	VZEROUPPER
	RET

// func axpyNoFMAAVX2(a float32, x, y []float32)
TEXT ·axpyNoFMAAVX2(SB), NOSPLIT, $0-56
	VBROADCASTSS a+0(FP), Y15
	MOVQ         x_base+8(FP), SI
	MOVQ         y_base+32(FP), DI
	MOVQ         y_len+40(FP), CX
	XORQ         AX, AX
	ANDQ         $-8, CX

loopa:
	CMPQ    AX, CX
	JGE     donea
	VMULPS  (SI)(AX*4), Y15, Y0
	VADDPS  (DI)(AX*4), Y0, Y0
	VMOVUPS Y0, (DI)(AX*4)
	ADDQ    $8, AX
	JMP     loopa

donea:
	VZEROUPPER
	RET

// func loihi24AVX2(u, v, acc, bias, spk []int32, base, du, dv, vth int32, sh uint64) int
TEXT ·loihi24AVX2(SB), NOSPLIT, $0-152
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

// func trueNorthAVX2(v, acc, bias, spk []int32, base int32, q *tnNeuron32) int
TEXT ·trueNorthAVX2(SB), NOSPLIT, $0-120
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
	XORQ         R11, R11    // spikes written
	XORQ         CX, CX      // neuron index

loopt:
	CMPQ CX, DX
	JGE  donet

	// x ← clip(v + clamp(acc) + bias − leak, ±lim)
	VMOVDQU (R8)(CX*4), Y0
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

bitst:
	TESTQ AX, AX
	JZ    nextt
	BSFQ  AX, BX
	ADDQ  CX, BX
	ADDQ  R12, BX
	MOVL  BX, (R10)(R11*4)
	INCQ  R11
	LEAQ  -1(AX), BX
	ANDQ  BX, AX
	JMP   bitst

nextt:
	ADDQ $8, CX
	JMP  loopt

donet:
	MOVQ R11, ret+112(FP)
	VZEROUPPER
	RET

// func add1fAVX2(acc, a []float32)
TEXT ·add1fAVX2(SB), NOSPLIT, $0-48
	MOVQ acc_base+0(FP), DI
	MOVQ acc_len+8(FP), CX
	MOVQ a_base+24(FP), R8
	XORQ AX, AX
	ANDQ $-8, CX

loop1f:
	CMPQ    AX, CX
	JGE     done1f
	VMOVUPS (R8)(AX*4), Y0
	VADDPS  (DI)(AX*4), Y0, Y0
	VMOVUPS Y0, (DI)(AX*4)
	ADDQ    $8, AX
	JMP     loop1f

done1f:
	VZEROUPPER
	RET

// func lifAVX2(u, fired, c []float32, spk []int32, gamma, thr float32, mode int) int
TEXT ·lifAVX2(SB), NOSPLIT, $0-120
	MOVQ         u_base+0(FP), DI
	MOVQ         u_len+8(FP), DX
	MOVQ         fired_base+24(FP), SI
	MOVQ         c_base+48(FP), R8
	MOVQ         spk_base+72(FP), R10
	VBROADCASTSS gamma+96(FP), Y15
	VBROADCASTSS thr+100(FP), Y14
	MOVQ         mode+104(FP), R9
	MOVL         $0x3f800000, AX // 1.0
	MOVQ         AX, X13
	VPBROADCASTD X13, Y13
	XORQ         R11, R11        // spikes written
	XORQ         CX, CX          // neuron index

loopl:
	CMPQ    CX, DX
	JGE     donel
	VMOVUPS (DI)(CX*4), Y0 // u
	VMOVUPS (SI)(CX*4), Y1 // fired
	CMPQ    R9, $1
	JEQ     subl
	JGT     nonel

	// reset to zero: u ← float32(g·u)·(1 − s) + c
	VMULPS Y15, Y0, Y0
	VSUBPS Y1, Y13, Y2
	VMULPS Y2, Y0, Y0
	JMP    addl

subl:
	// reset by subtraction: u ← g·(u − ϑ·s) + c
	VMULPS Y14, Y1, Y2
	VSUBPS Y2, Y0, Y0
	VMULPS Y15, Y0, Y0
	JMP    addl

nonel:
	// no reset: u ← g·u + c
	VMULPS Y15, Y0, Y0

addl:
	VADDPS    (R8)(CX*4), Y0, Y0
	VMOVUPS   Y0, (DI)(CX*4)
	VCMPPS    $0x1d, Y14, Y0, Y3 // u ≥ ϑ (false for NaN)
	VANDPS    Y13, Y3, Y4
	VMOVUPS   Y4, (SI)(CX*4)
	VMOVMSKPS Y3, AX

bitsl:
	TESTQ AX, AX
	JZ    nextl
	BSFQ  AX, BX
	ADDQ  CX, BX
	MOVL  BX, (R10)(R11*4)
	INCQ  R11
	LEAQ  -1(AX), BX
	ANDQ  BX, AX
	JMP   bitsl

nextl:
	ADDQ $8, CX
	JMP  loopl

donel:
	MOVQ R11, ret+112(FP)
	VZEROUPPER
	RET
