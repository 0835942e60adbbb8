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
