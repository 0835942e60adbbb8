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

// func add2fClearAVX2(acc, a, b []float32)
TEXT ·add2fClearAVX2(SB), NOSPLIT, $0-72
	MOVQ   acc_base+0(FP), DI
	MOVQ   acc_len+8(FP), CX
	MOVQ   a_base+24(FP), R8
	MOVQ   b_base+48(FP), R9
	XORQ   AX, AX
	ANDQ   $-8, CX
	VXORPS Y2, Y2, Y2

loop2fc:
	CMPQ    AX, CX
	JGE     done2fc
	VMOVUPS (R8)(AX*4), Y0
	VADDPS  (R9)(AX*4), Y0, Y0 // a + b
	VADDPS  (DI)(AX*4), Y0, Y0 // acc + (a + b)
	VMOVUPS Y0, (DI)(AX*4)
	VMOVUPS Y2, (R8)(AX*4)
	VMOVUPS Y2, (R9)(AX*4)
	ADDQ    $8, AX
	JMP     loop2fc

done2fc:
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
	MOVQ         R9, R12
	ANDQ         $4, R12         // skip idle groups
	ANDQ         $3, R9          // reset mode
	MOVL         $0x3f800000, AX // 1.0
	MOVQ         AX, X13
	VPBROADCASTD X13, Y13
	LEAQ         ·spikeLanes(SB), R13
	XORQ         R11, R11        // spikes written
	XORQ         CX, CX          // neuron index

loopl:
	CMPQ    CX, DX
	JGE     donel
	VMOVUPS (DI)(CX*4), Y0 // u
	VMOVUPS (SI)(CX*4), Y1 // fired

	// idle: u, fired and c all +0 (bit patterns zero) stay so, without a
	// spike
	TESTQ  R12, R12
	JZ     updatel
	VPOR   Y0, Y1, Y2
	VPOR   (R8)(CX*4), Y2, Y2
	VPTEST Y2, Y2
	JZ     nextl

updatel:
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

	// the spiking lanes' indices, packed (spikeLanes), written whole:
	// spikes written ≤ neuron index, so the 8 stores stay below len(u)
	VPMOVZXBD (R13)(AX*8), Y5
	MOVQ      CX, X6
	VPBROADCASTD X6, Y6
	VPADDD    Y6, Y5, Y5
	VMOVDQU   Y5, (R10)(R11*4)
	POPCNTQ   AX, AX
	ADDQ      AX, R11

nextl:
	ADDQ $8, CX
	JMP  loopl

donel:
	MOVQ R11, ret+112(FP)
	VZEROUPPER
	RET

// func spansAVX2(acc, in, ptr []int32, segs []segment, w []int16, dst []int32, sw []int16, coreIn, coreSyn []int64)
//
// segment: lo+0, hi+4, off+8, syn+12, core+16 (int32), scatter+20 (bool),
// 24 bytes.
TEXT ·spansAVX2(SB), NOSPLIT, $0-216
	MOVQ acc_base+0(FP), DI
	MOVQ in_base+24(FP), SI
	MOVQ ptr_base+48(FP), R8
	MOVQ segs_base+72(FP), R9
	MOVQ w_base+96(FP), R10
	XORQ R11, R11           // spike index

spikes:
	CMPQ    R11, in_len+32(FP)
	JGE     dones
	MOVLQSX (SI)(R11*4), AX   // input i
	MOVLQSX (R8)(AX*4), R12   // its first segment, ptr[i]
	MOVLQSX 4(R8)(AX*4), R13  // its end, ptr[i+1]

	// prefetch the first segment of the spike 8 ahead: the segments a
	// step's spikes reach are scattered over a table larger than the
	// cache the chip and its float reference share
	LEAQ       8(R11), BX
	CMPQ       BX, in_len+32(FP)
	JGE        segs
	MOVLQSX    (SI)(BX*4), BX
	MOVLQSX    (R8)(BX*4), BX
	LEAQ       (BX)(BX*2), BX
	LEAQ       (R9)(BX*8), BX
	PREFETCHT0 (BX)

segs:
	CMPQ    R12, R13
	JGE     nextspike
	LEAQ    (R12)(R12*2), BX
	LEAQ    (R9)(BX*8), BX    // &segs[q]
	MOVLQSX 16(BX), AX        // core
	MOVQ    coreIn_base+168(FP), CX
	INCQ    (CX)(AX*8)
	MOVLQSX 12(BX), R14       // syn
	MOVQ    coreSyn_base+192(FP), CX
	ADDQ    R14, (CX)(AX*8)
	MOVLQSX 8(BX), DX         // off
	CMPB    20(BX), $0
	JNE     scatter

	// span: acc[lo+j] += w[off+j] for j < hi − lo
	MOVLQSX 0(BX), CX
	MOVLQSX 4(BX), R14
	SUBQ    CX, R14
	LEAQ    (DI)(CX*4), CX
	LEAQ    (R10)(DX*2), DX
	XORQ    AX, AX

span8:
	LEAQ      8(AX), R15
	CMPQ      R15, R14
	JGT       spantail
	VPMOVSXWD (DX)(AX*2), Y0
	VPADDD    (CX)(AX*4), Y0, Y0
	VMOVDQU   Y0, (CX)(AX*4)
	MOVQ      R15, AX
	JMP       span8

spantail:
	CMPQ    AX, R14
	JGE     nextseg
	MOVWLSX (DX)(AX*2), R15
	ADDL    R15, (CX)(AX*4)
	INCQ    AX
	JMP     spantail

scatter:
	// acc[dst[off+k]] += sw[off+k] for k < syn (R14)
	MOVQ dst_base+120(FP), CX
	LEAQ (CX)(DX*4), CX
	MOVQ sw_base+144(FP), AX
	LEAQ (AX)(DX*2), DX
	XORQ AX, AX

scatter1:
	CMPQ    AX, R14
	JGE     nextseg
	MOVLQSX (CX)(AX*4), R15
	MOVWLSX (DX)(AX*2), BX
	ADDL    BX, (DI)(R15*4)
	INCQ    AX
	JMP     scatter1

nextseg:
	INCQ R12
	JMP  segs

nextspike:
	INCQ R11
	JMP  spikes

dones:
	VZEROUPPER
	RET

// func addSpansFAVX2(c []float32, in []int32, spans []segment, fsw []float32, dst []int32, fw []float32)
//
// One segment per input (spans[i]); float adds in the order of the
// portable loop: c[j] = c[j] + w.
TEXT ·addSpansFAVX2(SB), NOSPLIT, $0-144
	MOVQ c_base+0(FP), DI
	MOVQ in_base+24(FP), SI
	MOVQ spans_base+48(FP), R8
	MOVQ fsw_base+72(FP), R9
	MOVQ dst_base+96(FP), R10
	MOVQ fw_base+120(FP), R11
	XORQ R12, R12             // spike index

spikesf:
	CMPQ    R12, in_len+32(FP)
	JGE     donesf
	MOVLQSX (SI)(R12*4), AX   // input i

	// prefetch the segment of the spike 8 ahead (see spansAVX2)
	LEAQ       8(R12), BX
	CMPQ       BX, in_len+32(FP)
	JGE        spanf
	MOVLQSX    (SI)(BX*4), BX
	LEAQ       (BX)(BX*2), BX
	LEAQ       (R8)(BX*8), BX
	PREFETCHT0 (BX)

spanf:
	LEAQ    (AX)(AX*2), BX
	LEAQ    (R8)(BX*8), BX    // &spans[i]
	MOVLQSX 8(BX), DX         // off
	MOVLQSX 12(BX), R14       // syn
	CMPB    20(BX), $0
	JNE     scatterf

	// span: c[lo+j] += fsw[off+j] for j < hi − lo
	MOVLQSX 0(BX), CX
	MOVLQSX 4(BX), R14
	SUBQ    CX, R14
	LEAQ    (DI)(CX*4), CX
	LEAQ    (R9)(DX*4), DX
	XORQ    AX, AX

span8f:
	LEAQ    8(AX), R15
	CMPQ    R15, R14
	JGT     spantailf
	VMOVUPS (DX)(AX*4), Y0
	VADDPS  (CX)(AX*4), Y0, Y0
	VMOVUPS Y0, (CX)(AX*4)
	MOVQ    R15, AX
	JMP     span8f

spantailf:
	CMPQ  AX, R14
	JGE   nextspikef
	MOVSS (CX)(AX*4), X0
	ADDSS (DX)(AX*4), X0
	MOVSS X0, (CX)(AX*4)
	INCQ  AX
	JMP   spantailf

scatterf:
	// c[dst[off+k]] += fw[off+k] for k < syn (R14)
	LEAQ (R10)(DX*4), CX
	LEAQ (R11)(DX*4), DX
	XORQ AX, AX

scatter1f:
	CMPQ    AX, R14
	JGE     nextspikef
	MOVLQSX (CX)(AX*4), R15
	MOVSS   (DI)(R15*4), X0
	ADDSS   (DX)(AX*4), X0
	MOVSS   X0, (DI)(R15*4)
	INCQ    AX
	JMP     scatter1f

nextspikef:
	INCQ R12
	JMP  spikesf

donesf:
	VZEROUPPER
	RET
