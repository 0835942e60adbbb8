//go:build amd64 && !purego

#include "textflag.h"

// func axpyAVX2(a float32, x, y []float32)
TEXT ·axpyAVX2(SB), NOSPLIT, $0-56
	VBROADCASTSS a+0(FP), Y0
	MOVQ x_base+8(FP), SI
	MOVQ x_len+16(FP), CX
	MOVQ y_base+32(FP), DI
	XORQ AX, AX
	MOVQ CX, DX
	ANDQ $-32, DX

loop32:
	CMPQ AX, DX
	JGE  tail8
	VMOVUPS     (SI)(AX*4), Y1
	VMOVUPS     32(SI)(AX*4), Y2
	VMOVUPS     64(SI)(AX*4), Y3
	VMOVUPS     96(SI)(AX*4), Y4
	VFMADD213PS (DI)(AX*4), Y0, Y1
	VFMADD213PS 32(DI)(AX*4), Y0, Y2
	VFMADD213PS 64(DI)(AX*4), Y0, Y3
	VFMADD213PS 96(DI)(AX*4), Y0, Y4
	VMOVUPS     Y1, (DI)(AX*4)
	VMOVUPS     Y2, 32(DI)(AX*4)
	VMOVUPS     Y3, 64(DI)(AX*4)
	VMOVUPS     Y4, 96(DI)(AX*4)
	ADDQ        $32, AX
	JMP         loop32

tail8:
	MOVQ CX, DX
	ANDQ $-8, DX

loop8:
	CMPQ AX, DX
	JGE  tail1
	VMOVUPS     (SI)(AX*4), Y1
	VFMADD213PS (DI)(AX*4), Y0, Y1
	VMOVUPS     Y1, (DI)(AX*4)
	ADDQ        $8, AX
	JMP         loop8

tail1:
	CMPQ AX, CX
	JGE  done
	VMOVSS      (SI)(AX*4), X1
	VFMADD213SS (DI)(AX*4), X0, X1
	VMOVSS      X1, (DI)(AX*4)
	INCQ        AX
	JMP         tail1

done:
	VZEROUPPER
	RET

// func dotAVX2(x, y []float32) float32
TEXT ·dotAVX2(SB), NOSPLIT, $0-52
	MOVQ   x_base+0(FP), SI
	MOVQ   x_len+8(FP), CX
	MOVQ   y_base+24(FP), DI
	VXORPS Y0, Y0, Y0
	VXORPS Y1, Y1, Y1
	VXORPS Y2, Y2, Y2
	VXORPS Y3, Y3, Y3
	XORQ   AX, AX
	MOVQ   CX, DX
	ANDQ   $-32, DX

dloop32:
	CMPQ        AX, DX
	JGE         dtail8
	VMOVUPS     (SI)(AX*4), Y4
	VMOVUPS     32(SI)(AX*4), Y5
	VMOVUPS     64(SI)(AX*4), Y6
	VMOVUPS     96(SI)(AX*4), Y7
	VFMADD231PS (DI)(AX*4), Y4, Y0
	VFMADD231PS 32(DI)(AX*4), Y5, Y1
	VFMADD231PS 64(DI)(AX*4), Y6, Y2
	VFMADD231PS 96(DI)(AX*4), Y7, Y3
	ADDQ        $32, AX
	JMP         dloop32

dtail8:
	MOVQ CX, DX
	ANDQ $-8, DX

dloop8:
	CMPQ        AX, DX
	JGE         dreduce
	VMOVUPS     (SI)(AX*4), Y4
	VFMADD231PS (DI)(AX*4), Y4, Y0
	ADDQ        $8, AX
	JMP         dloop8

dreduce:
	VADDPS       Y1, Y0, Y0
	VADDPS       Y3, Y2, Y2
	VADDPS       Y2, Y0, Y0
	VEXTRACTF128 $1, Y0, X1
	VADDPS       X1, X0, X0
	VHADDPS      X0, X0, X0
	VHADDPS      X0, X0, X0

dtail1:
	CMPQ        AX, CX
	JGE         ddone
	VMOVSS      (SI)(AX*4), X4
	VFMADD231SS (DI)(AX*4), X4, X0
	INCQ        AX
	JMP         dtail1

ddone:
	VZEROUPPER
	MOVSS X0, ret+48(FP)
	RET

// func patchDotAVX2(x *float32, xrs, xcs int, y *float32, yrs, ycs, rows, cols, n int) float32
TEXT ·patchDotAVX2(SB), NOSPLIT, $0-76
	MOVQ   x+0(FP), SI
	MOVQ   xrs+8(FP), R10
	SHLQ   $2, R10
	MOVQ   xcs+16(FP), R11
	SHLQ   $2, R11
	MOVQ   y+24(FP), DI
	MOVQ   yrs+32(FP), R12
	SHLQ   $2, R12
	MOVQ   ycs+40(FP), R13
	SHLQ   $2, R13
	MOVQ   rows+48(FP), R8
	MOVQ   n+64(FP), CX
	SHLQ   $2, CX
	VXORPS Y0, Y0, Y0
	VXORPS Y1, Y1, Y1
	VXORPS Y2, Y2, Y2
	VXORPS Y3, Y3, Y3

qrow:
	MOVQ cols+56(FP), R9
	MOVQ SI, AX
	MOVQ DI, BX

qcol:
	XORQ DX, DX
	MOVQ CX, R14
	ANDQ $-128, R14

qvec32:
	CMPQ        DX, R14
	JGE         qvec8
	VMOVUPS     (AX)(DX*1), Y4
	VMOVUPS     32(AX)(DX*1), Y5
	VMOVUPS     64(AX)(DX*1), Y6
	VMOVUPS     96(AX)(DX*1), Y7
	VFMADD231PS (BX)(DX*1), Y4, Y0
	VFMADD231PS 32(BX)(DX*1), Y5, Y1
	VFMADD231PS 64(BX)(DX*1), Y6, Y2
	VFMADD231PS 96(BX)(DX*1), Y7, Y3
	ADDQ        $128, DX
	JMP         qvec32

qvec8:
	CMPQ        DX, CX
	JGE         qnext
	VMOVUPS     (AX)(DX*1), Y4
	VFMADD231PS (BX)(DX*1), Y4, Y1
	ADDQ        $32, DX
	JMP         qvec8

qnext:
	ADDQ R11, AX
	ADDQ R13, BX
	DECQ R9
	JNZ  qcol
	ADDQ R10, SI
	ADDQ R12, DI
	DECQ R8
	JNZ  qrow

	VADDPS       Y1, Y0, Y0
	VADDPS       Y3, Y2, Y2
	VADDPS       Y2, Y0, Y0
	VEXTRACTF128 $1, Y0, X1
	VADDPS       X1, X0, X0
	VHADDPS      X0, X0, X0
	VHADDPS      X0, X0, X0
	VZEROUPPER
	MOVSS        X0, ret+72(FP)
	RET

// func patchDots8AVX2(x *float32, xc8, xrs, xcs int, y *float32, yrs, ycs, rows, cols, nbytes int, out *[8]float32)
TEXT ·patchDots8AVX2(SB), NOSPLIT, $0-88
	MOVQ   x+0(FP), SI
	MOVQ   xc8+8(FP), R14
	LEAQ   (R14)(R14*2), R15
	MOVQ   xcs+24(FP), R11
	MOVQ   y+32(FP), DI
	MOVQ   ycs+48(FP), R13
	MOVQ   rows+56(FP), R8
	VXORPS Y0, Y0, Y0
	VXORPS Y1, Y1, Y1
	VXORPS Y2, Y2, Y2
	VXORPS Y3, Y3, Y3
	VXORPS Y4, Y4, Y4
	VXORPS Y5, Y5, Y5
	VXORPS Y6, Y6, Y6
	VXORPS Y7, Y7, Y7

mrow:
	MOVQ cols+64(FP), R9
	MOVQ SI, R10
	MOVQ DI, R12

mcol:
	MOVQ R10, AX
	LEAQ (R10)(R14*4), BX
	MOVQ R12, DX
	MOVQ nbytes+72(FP), CX
	ADDQ DX, CX

mchunk:
	VMOVUPS     (DX), Y8
	VFMADD231PS (AX), Y8, Y0
	VFMADD231PS (AX)(R14*1), Y8, Y1
	VFMADD231PS (AX)(R14*2), Y8, Y2
	VFMADD231PS (AX)(R15*1), Y8, Y3
	VFMADD231PS (BX), Y8, Y4
	VFMADD231PS (BX)(R14*1), Y8, Y5
	VFMADD231PS (BX)(R14*2), Y8, Y6
	VFMADD231PS (BX)(R15*1), Y8, Y7
	ADDQ        $32, AX
	ADDQ        $32, BX
	ADDQ        $32, DX
	CMPQ        DX, CX
	JLT         mchunk
	ADDQ        R11, R10
	ADDQ        R13, R12
	DECQ        R9
	JNZ         mcol
	ADDQ        xrs+16(FP), SI
	ADDQ        yrs+40(FP), DI
	DECQ        R8
	JNZ         mrow

	VHADDPS      Y1, Y0, Y0
	VHADDPS      Y3, Y2, Y2
	VHADDPS      Y2, Y0, Y0
	VEXTRACTF128 $1, Y0, X8
	VADDPS       X8, X0, X0
	VHADDPS      Y5, Y4, Y4
	VHADDPS      Y7, Y6, Y6
	VHADDPS      Y6, Y4, Y4
	VEXTRACTF128 $1, Y4, X9
	VADDPS       X9, X4, X4
	MOVQ         out+80(FP), AX
	VMOVUPS      X0, (AX)
	VMOVUPS      X4, 16(AX)
	VZEROUPPER
	RET

// func lifStepAVX2(u, up, sp, c *float32, n int, gamma, theta float32, halfBits uint32, first int, sv *float32, spk, win *uint8)
TEXT ·lifStepAVX2(SB), NOSPLIT, $0-88
	MOVQ         u+0(FP), DI
	MOVQ         up+8(FP), SI
	MOVQ         sp+16(FP), R8
	MOVQ         c+24(FP), R9
	MOVQ         n+32(FP), CX
	VBROADCASTSS gamma+40(FP), Y10
	VBROADCASTSS theta+44(FP), Y11
	VBROADCASTSS halfBits+48(FP), Y12
	MOVQ         first+56(FP), R13
	MOVQ         sv+64(FP), R10
	MOVQ         spk+72(FP), R11
	MOVQ         win+80(FP), R12
	MOVL         $0x3f800000, AX
	MOVQ         AX, X13
	VPBROADCASTD X13, Y13
	MOVL         $0x7fffffff, AX
	MOVQ         AX, X14
	VPBROADCASTD X14, Y14
	XORQ         DX, DX

lloop:
	CMPQ    DX, CX
	JGE     ldone
	TESTQ   R13, R13
	JZ      lleak
	VMOVUPS (R9)(DX*4), Y1
	JMP     lfire

lleak:
	VMOVUPS (SI)(DX*4), Y1
	VMULPS  Y1, Y10, Y1
	VMOVUPS (R8)(DX*4), Y2
	VSUBPS  Y2, Y13, Y2
	VMULPS  Y2, Y1, Y1
	VADDPS  (R9)(DX*4), Y1, Y1

lfire:
	VMOVUPS   Y1, (DI)(DX*4)
	VSUBPS    Y11, Y1, Y3
	VMOVMSKPS Y3, AX
	NOTL      AX
	MOVQ      DX, BX
	SHRQ      $3, BX
	MOVB      AX, (R11)(BX*1)
	VPSRAD    $31, Y3, Y4
	VANDNPS   Y13, Y4, Y5
	VMOVUPS   Y5, (R10)(DX*4)
	VANDPS    Y14, Y3, Y6
	VPCMPGTD  Y6, Y12, Y7
	VMOVMSKPS Y7, AX
	MOVB      AX, (R12)(BX*1)
	ADDQ      $8, DX
	JMP       lloop

ldone:
	VZEROUPPER
	RET

// func lifBackAVX2(u, sv, gs, gun, gc *float32, n int, gamma, theta, inva float32, halfBits uint32, sum int, lanes *[8]float32)
TEXT ·lifBackAVX2(SB), NOSPLIT, $0-80
	MOVQ         u+0(FP), DI
	MOVQ         sv+8(FP), SI
	MOVQ         gs+16(FP), R8
	MOVQ         gun+24(FP), R9
	MOVQ         gc+32(FP), R10
	MOVQ         n+40(FP), CX
	VBROADCASTSS gamma+48(FP), Y10
	VBROADCASTSS theta+52(FP), Y11
	VBROADCASTSS inva+56(FP), Y12
	VBROADCASTSS halfBits+60(FP), Y13
	MOVQ         sum+64(FP), R11
	MOVQ         lanes+72(FP), R12
	VMOVUPS      (R12), Y9
	MOVL         $0x3f800000, AX
	MOVQ         AX, X14
	VPBROADCASTD X14, Y14
	MOVL         $0x7fffffff, AX
	MOVQ         AX, X15
	VPBROADCASTD X15, Y15
	XORQ         DX, DX

bloop:
	CMPQ      DX, CX
	JGE       bdone
	VMOVUPS   (R9)(DX*4), Y0
	VMULPS    Y10, Y0, Y0
	VMOVUPS   (DI)(DX*4), Y1
	VMULPS    Y1, Y0, Y2
	VMOVUPS   (R8)(DX*4), Y3
	VSUBPS    Y2, Y3, Y3
	VSUBPS    Y11, Y1, Y4
	VANDPS    Y15, Y4, Y5
	VPCMPGTD  Y5, Y13, Y5
	VANDPS    Y14, Y5, Y5
	VMULPS    Y5, Y3, Y3
	VMOVUPS   (SI)(DX*4), Y6
	VSUBPS    Y6, Y14, Y6
	VMULPS    Y6, Y0, Y0
	VMULPS    Y12, Y3, Y7
	VADDPS    Y7, Y0, Y0
	VMULPS    Y4, Y3, Y3
	VSUBPS    Y3, Y9, Y9
	VMOVUPS   Y0, (R9)(DX*4)
	TESTQ     R11, R11
	JZ        bstore
	VADDPS    (R10)(DX*4), Y0, Y0

bstore:
	VMOVUPS Y0, (R10)(DX*4)
	ADDQ    $8, DX
	JMP     bloop

bdone:
	VMOVUPS Y9, (R12)
	VZEROUPPER
	RET

// func patchAxpyEventsAVX2(ev *patchEvent, nev int, x *float32, xrs, xcs int, y *float32, yrs, ycs, nbytes int)
TEXT ·patchAxpyEventsAVX2(SB), NOSPLIT, $0-72
	MOVQ ev+0(FP), R8
	MOVQ nev+8(FP), R9
	MOVQ xrs+24(FP), R10
	MOVQ xcs+32(FP), R11
	MOVQ yrs+48(FP), R12
	MOVQ ycs+56(FP), R13
	MOVQ nbytes+64(FP), R15
	ANDQ $127, R15
	TESTQ R9, R9
	JZ    edone

enext:
	VBROADCASTSS 16(R8), Y0
	MOVQ         x+16(FP), SI
	MOVLQSX      0(R8), AX
	LEAQ         (SI)(AX*4), SI
	MOVQ         y+40(FP), DI
	MOVLQSX      4(R8), AX
	LEAQ         (DI)(AX*4), DI
	MOVLQSX      8(R8), R14

erow:
	MOVLQSX 12(R8), CX
	MOVQ    SI, AX
	MOVQ    DI, BX

ecol:
	XORQ  DX, DX
	TESTQ R15, R15
	JNZ   evec

	// n a multiple of 32 floats: four vectors per pass
evec4:
	VMOVUPS     (AX)(DX*1), Y1
	VMOVUPS     32(AX)(DX*1), Y2
	VMOVUPS     64(AX)(DX*1), Y3
	VMOVUPS     96(AX)(DX*1), Y4
	VFMADD213PS (BX)(DX*1), Y0, Y1
	VFMADD213PS 32(BX)(DX*1), Y0, Y2
	VFMADD213PS 64(BX)(DX*1), Y0, Y3
	VFMADD213PS 96(BX)(DX*1), Y0, Y4
	VMOVUPS     Y1, (BX)(DX*1)
	VMOVUPS     Y2, 32(BX)(DX*1)
	VMOVUPS     Y3, 64(BX)(DX*1)
	VMOVUPS     Y4, 96(BX)(DX*1)
	ADDQ        $128, DX
	CMPQ        DX, nbytes+64(FP)
	JLT         evec4
	JMP         enextcol

evec:
	VMOVUPS     (AX)(DX*1), Y1
	VFMADD213PS (BX)(DX*1), Y0, Y1
	VMOVUPS     Y1, (BX)(DX*1)
	ADDQ        $32, DX
	CMPQ        DX, nbytes+64(FP)
	JLT         evec

enextcol:
	ADDQ        R11, AX
	ADDQ        R13, BX
	DECQ        CX
	JNZ         ecol
	ADDQ        R10, SI
	ADDQ        R12, DI
	DECQ        R14
	JNZ         erow
	ADDQ        $24, R8
	DECQ        R9
	JNZ         enext

edone:
	VZEROUPPER
	RET

// gatherPairAVX2(a *gatherArgs): see gatherArgs (convgather.go) for the
// field offsets. Builds the input list of each of the two outputs by copying
// its (ci, ky) runs (64 bytes each, advancing by the run's length), then
// adds each list's value·taps to its output's 32-channel chunks, starting
// from its starting values.
#define BUILDLIST(pcoff, listoff, count, lbl) \
	MOVQ    pcoff(R8), R10 \
	MOVQ    listoff(R8), DI \
	MOVQ    DI, R14 \
	MOVQ    8(R8), R11 \
	MOVQ    16(R8), CX \
lbl: \
	MOVQ    (R11), AX \
	MOVLQSX (R10)(AX*1), BX \
	ADDQ    R9, AX \
	MOVLQSX (R10)(AX*1), DX \
	VMOVUPS (SI)(BX*8), Y0 \
	VMOVUPS 32(SI)(BX*8), Y1 \
	VMOVUPS Y0, (DI) \
	VMOVUPS Y1, 32(DI) \
	SUBQ    BX, DX \
	LEAQ    (DI)(DX*8), DI \
	ADDQ    $8, R11 \
	DECQ    CX \
	JNZ     lbl \
	SUBQ    R14, DI \
	SHRQ    $3, DI \
	MOVQ    DI, count

TEXT ·gatherPairAVX2(SB), NOSPLIT, $0-8
	MOVQ a+0(FP), R8
	MOVQ 0(R8), SI
	MOVQ 24(R8), R9
	BUILDLIST(32, 48, R12, grun0)
	BUILDLIST(40, 56, R13, grun1)

	// W shifted down by each output's base
	MOVQ 80(R8), R14
	MOVQ 64(R8), AX
	SHLQ $2, AX
	SUBQ AX, R14
	MOVQ 80(R8), R15
	MOVQ 72(R8), AX
	SHLQ $2, AX
	SUBQ AX, R15
	XORQ SI, SI
	MOVQ 120(R8), R9

gchunk:
	MOVQ    88(R8), DX
	VMOVUPS (DX)(SI*1), Y0
	VMOVUPS 32(DX)(SI*1), Y1
	VMOVUPS 64(DX)(SI*1), Y2
	VMOVUPS 96(DX)(SI*1), Y3
	MOVQ    96(R8), DX
	VMOVUPS (DX)(SI*1), Y4
	VMOVUPS 32(DX)(SI*1), Y5
	VMOVUPS 64(DX)(SI*1), Y6
	VMOVUPS 96(DX)(SI*1), Y7
	MOVQ    48(R8), R10
	MOVQ    56(R8), R11
	MOVQ    R12, CX
	CMPQ    R13, CX
	CMOVQLT R13, CX
	MOVQ    R12, DI
	SUBQ    CX, DI
	MOVQ    R13, DX
	SUBQ    CX, DX
	TESTQ   CX, CX
	JZ      gtail0

gpair:
	MOVLQSX      (R10), AX
	VBROADCASTSS 4(R10), Y8
	MOVLQSX      (R11), BX
	VBROADCASTSS 4(R11), Y9
	LEAQ         (R14)(AX*4), AX
	LEAQ         (R15)(BX*4), BX
	VFMADD231PS  (AX)(SI*1), Y8, Y0
	VFMADD231PS  32(AX)(SI*1), Y8, Y1
	VFMADD231PS  64(AX)(SI*1), Y8, Y2
	VFMADD231PS  96(AX)(SI*1), Y8, Y3
	VFMADD231PS  (BX)(SI*1), Y9, Y4
	VFMADD231PS  32(BX)(SI*1), Y9, Y5
	VFMADD231PS  64(BX)(SI*1), Y9, Y6
	VFMADD231PS  96(BX)(SI*1), Y9, Y7
	ADDQ         $8, R10
	ADDQ         $8, R11
	DECQ         CX
	JNZ          gpair

gtail0:
	TESTQ DI, DI
	JZ    gtail1

gone0:
	MOVLQSX      (R10), AX
	VBROADCASTSS 4(R10), Y8
	LEAQ         (R14)(AX*4), AX
	VFMADD231PS  (AX)(SI*1), Y8, Y0
	VFMADD231PS  32(AX)(SI*1), Y8, Y1
	VFMADD231PS  64(AX)(SI*1), Y8, Y2
	VFMADD231PS  96(AX)(SI*1), Y8, Y3
	ADDQ         $8, R10
	DECQ         DI
	JNZ          gone0

gtail1:
	TESTQ DX, DX
	JZ    gstore

gone1:
	MOVLQSX      (R11), BX
	VBROADCASTSS 4(R11), Y9
	LEAQ         (R15)(BX*4), BX
	VFMADD231PS  (BX)(SI*1), Y9, Y4
	VFMADD231PS  32(BX)(SI*1), Y9, Y5
	VFMADD231PS  64(BX)(SI*1), Y9, Y6
	VFMADD231PS  96(BX)(SI*1), Y9, Y7
	ADDQ         $8, R11
	DECQ         DX
	JNZ          gone1

gstore:
	MOVQ    104(R8), AX
	MOVQ    112(R8), BX
	VMOVUPS Y0, (AX)(SI*1)
	VMOVUPS Y1, 32(AX)(SI*1)
	VMOVUPS Y2, 64(AX)(SI*1)
	VMOVUPS Y3, 96(AX)(SI*1)
	VMOVUPS Y4, (BX)(SI*1)
	VMOVUPS Y5, 32(BX)(SI*1)
	VMOVUPS Y6, 64(BX)(SI*1)
	VMOVUPS Y7, 96(BX)(SI*1)
	ADDQ    $128, SI
	DECQ    R9
	JNZ     gchunk
	VZEROUPPER
	RET

// func transpose8AVX2(dst, src *float32, rows, cols int)
// dst (cols×rows) = srcᵀ (rows×cols), both multiples of 8, in 8×8 blocks.
TEXT ·transpose8AVX2(SB), NOSPLIT, $0-32
	MOVQ dst+0(FP), DI
	MOVQ src+8(FP), SI
	MOVQ rows+16(FP), R8
	MOVQ cols+24(FP), R9
	MOVQ R9, R10
	SHLQ $2, R10        // src row stride in bytes
	MOVQ R8, R11
	SHLQ $2, R11        // dst row stride in bytes
	XORQ AX, AX         // block row (floats)

tbrow:
	XORQ BX, BX         // block column (floats)

tbcol:
	// src block at src + (AX·cols + BX)·4
	MOVQ    AX, CX
	IMULQ   R9, CX
	ADDQ    BX, CX
	LEAQ    (SI)(CX*4), CX
	VMOVUPS (CX), Y0
	ADDQ    R10, CX
	VMOVUPS (CX), Y1
	ADDQ    R10, CX
	VMOVUPS (CX), Y2
	ADDQ    R10, CX
	VMOVUPS (CX), Y3
	ADDQ    R10, CX
	VMOVUPS (CX), Y4
	ADDQ    R10, CX
	VMOVUPS (CX), Y5
	ADDQ    R10, CX
	VMOVUPS (CX), Y6
	ADDQ    R10, CX
	VMOVUPS (CX), Y7
	VUNPCKLPS  Y1, Y0, Y8
	VUNPCKHPS  Y1, Y0, Y9
	VUNPCKLPS  Y3, Y2, Y10
	VUNPCKHPS  Y3, Y2, Y11
	VUNPCKLPS  Y5, Y4, Y12
	VUNPCKHPS  Y5, Y4, Y13
	VUNPCKLPS  Y7, Y6, Y14
	VUNPCKHPS  Y7, Y6, Y15
	VSHUFPS    $0x44, Y10, Y8, Y0
	VSHUFPS    $0xEE, Y10, Y8, Y1
	VSHUFPS    $0x44, Y11, Y9, Y2
	VSHUFPS    $0xEE, Y11, Y9, Y3
	VSHUFPS    $0x44, Y14, Y12, Y4
	VSHUFPS    $0xEE, Y14, Y12, Y5
	VSHUFPS    $0x44, Y15, Y13, Y6
	VSHUFPS    $0xEE, Y15, Y13, Y7
	VPERM2F128 $0x20, Y4, Y0, Y8
	VPERM2F128 $0x20, Y5, Y1, Y9
	VPERM2F128 $0x20, Y6, Y2, Y10
	VPERM2F128 $0x20, Y7, Y3, Y11
	VPERM2F128 $0x31, Y4, Y0, Y12
	VPERM2F128 $0x31, Y5, Y1, Y13
	VPERM2F128 $0x31, Y6, Y2, Y14
	VPERM2F128 $0x31, Y7, Y3, Y15
	// dst block at dst + (BX·rows + AX)·4
	MOVQ    BX, CX
	IMULQ   R8, CX
	ADDQ    AX, CX
	LEAQ    (DI)(CX*4), CX
	VMOVUPS Y8, (CX)
	ADDQ    R11, CX
	VMOVUPS Y9, (CX)
	ADDQ    R11, CX
	VMOVUPS Y10, (CX)
	ADDQ    R11, CX
	VMOVUPS Y11, (CX)
	ADDQ    R11, CX
	VMOVUPS Y12, (CX)
	ADDQ    R11, CX
	VMOVUPS Y13, (CX)
	ADDQ    R11, CX
	VMOVUPS Y14, (CX)
	ADDQ    R11, CX
	VMOVUPS Y15, (CX)
	ADDQ    $8, BX
	CMPQ    BX, R9
	JLT     tbcol
	ADDQ    $8, AX
	CMPQ    AX, R8
	JLT     tbrow
	VZEROUPPER
	RET

// func spread2AVX2(dst0, dst1, src *float32, n int, scale float32)
// dst0[2i] = dst0[2i+1] = dst1[2i] = dst1[2i+1] = scale·src[i] for i < n,
// n a positive multiple of 4.
TEXT ·spread2AVX2(SB), NOSPLIT, $0-36
	MOVQ         dst0+0(FP), DI
	MOVQ         dst1+8(FP), DX
	MOVQ         src+16(FP), SI
	MOVQ         n+24(FP), CX
	VBROADCASTSS scale+32(FP), X3

sp4:
	VMOVUPS     (SI), X0
	VMULPS      X3, X0, X0
	VUNPCKLPS   X0, X0, X1
	VUNPCKHPS   X0, X0, X2
	VINSERTF128 $1, X2, Y1, Y1
	VMOVUPS     Y1, (DI)
	VMOVUPS     Y1, (DX)
	ADDQ        $16, SI
	ADDQ        $32, DI
	ADDQ        $32, DX
	SUBQ        $4, CX
	JNZ         sp4
	VZEROUPPER
	RET

// gatherPair16AVX2(a *gatherArgs) is gatherPairAVX2 for 16-channel chunks
// (a.chunks = OutC/16): two vectors per output.
TEXT ·gatherPair16AVX2(SB), NOSPLIT, $0-8
	MOVQ a+0(FP), R8
	MOVQ 0(R8), SI
	MOVQ 24(R8), R9
	BUILDLIST(32, 48, R12, hrun0)
	BUILDLIST(40, 56, R13, hrun1)

	MOVQ 80(R8), R14
	MOVQ 64(R8), AX
	SHLQ $2, AX
	SUBQ AX, R14
	MOVQ 80(R8), R15
	MOVQ 72(R8), AX
	SHLQ $2, AX
	SUBQ AX, R15
	XORQ SI, SI
	MOVQ 120(R8), R9

hchunk:
	MOVQ    88(R8), DX
	VMOVUPS (DX)(SI*1), Y0
	VMOVUPS 32(DX)(SI*1), Y1
	MOVQ    96(R8), DX
	VMOVUPS (DX)(SI*1), Y4
	VMOVUPS 32(DX)(SI*1), Y5
	MOVQ    48(R8), R10
	MOVQ    56(R8), R11
	MOVQ    R12, CX
	CMPQ    R13, CX
	CMOVQLT R13, CX
	MOVQ    R12, DI
	SUBQ    CX, DI
	MOVQ    R13, DX
	SUBQ    CX, DX
	TESTQ   CX, CX
	JZ      htail0

hpair:
	MOVLQSX      (R10), AX
	VBROADCASTSS 4(R10), Y8
	MOVLQSX      (R11), BX
	VBROADCASTSS 4(R11), Y9
	LEAQ         (R14)(AX*4), AX
	LEAQ         (R15)(BX*4), BX
	VFMADD231PS  (AX)(SI*1), Y8, Y0
	VFMADD231PS  32(AX)(SI*1), Y8, Y1
	VFMADD231PS  (BX)(SI*1), Y9, Y4
	VFMADD231PS  32(BX)(SI*1), Y9, Y5
	ADDQ         $8, R10
	ADDQ         $8, R11
	DECQ         CX
	JNZ          hpair

htail0:
	TESTQ DI, DI
	JZ    htail1

hone0:
	MOVLQSX      (R10), AX
	VBROADCASTSS 4(R10), Y8
	LEAQ         (R14)(AX*4), AX
	VFMADD231PS  (AX)(SI*1), Y8, Y0
	VFMADD231PS  32(AX)(SI*1), Y8, Y1
	ADDQ         $8, R10
	DECQ         DI
	JNZ          hone0

htail1:
	TESTQ DX, DX
	JZ    hstore

hone1:
	MOVLQSX      (R11), BX
	VBROADCASTSS 4(R11), Y9
	LEAQ         (R15)(BX*4), BX
	VFMADD231PS  (BX)(SI*1), Y9, Y4
	VFMADD231PS  32(BX)(SI*1), Y9, Y5
	ADDQ         $8, R11
	DECQ         DX
	JNZ          hone1

hstore:
	MOVQ    104(R8), AX
	MOVQ    112(R8), BX
	VMOVUPS Y0, (AX)(SI*1)
	VMOVUPS Y1, 32(AX)(SI*1)
	VMOVUPS Y4, (BX)(SI*1)
	VMOVUPS Y5, 32(BX)(SI*1)
	ADDQ    $64, SI
	DECQ    R9
	JNZ     hchunk
	VZEROUPPER
	RET

// func pool2AVX2(y, r0, r1 *float32, n int, scale float32)
// y[i] = ((((0 + r0[2i]) + r0[2i+1]) + r1[2i]) + r1[2i+1])·scale for i < n,
// n a positive multiple of 4: four windows per pass. The first sum is
// r0[2i] + r0[2i+1] (VHADDPS), then + 0 at the end: the same as adding to
// 0 first, for every value but a window of four −0 (+0 either way).
TEXT ·pool2AVX2(SB), NOSPLIT, $0-36
	MOVQ         y+0(FP), DI
	MOVQ         r0+8(FP), SI
	MOVQ         r1+16(FP), DX
	MOVQ         n+24(FP), CX
	VBROADCASTSS scale+32(FP), X7
	VXORPS       X6, X6, X6

pl4:
	VMOVUPS (SI), X0
	VMOVUPS 16(SI), X1
	VHADDPS X1, X0, X0
	VMOVUPS (DX), X2
	VMOVUPS 16(DX), X3
	VSHUFPS $0x88, X3, X2, X4
	VSHUFPS $0xDD, X3, X2, X5
	VADDPS  X4, X0, X0
	VADDPS  X5, X0, X0
	VADDPS  X6, X0, X0
	VMULPS  X7, X0, X0
	VMOVUPS X0, (DI)
	ADDQ    $32, SI
	ADDQ    $32, DX
	ADDQ    $16, DI
	SUBQ    $4, CX
	JNZ     pl4
	RET

// func rowsGatherAVX2(y, w *float32, n int, x *float32, idx *int32, cnt int, mask *[16]int32)
// y[:n] += x[i]·w[i·n:][:n] for i = idx[0], …, idx[cnt−1] in order, with
// 8 ≤ n ≤ 16 and mask[j] = −1 for j < n: y in two registers.
TEXT ·rowsGatherAVX2(SB), NOSPLIT, $0-56
	MOVQ       y+0(FP), DI
	MOVQ       w+8(FP), SI
	MOVQ       n+16(FP), R12
	SHLQ       $2, R12
	MOVQ       x+24(FP), R9
	MOVQ       idx+32(FP), R10
	MOVQ       cnt+40(FP), CX
	MOVQ       mask+48(FP), R11
	VMOVDQU    32(R11), Y7
	VMOVUPS    (DI), Y0
	VMASKMOVPS 32(DI), Y7, Y1
	TESTQ      CX, CX
	JZ         rgdone

rgloop:
	MOVLQSX      (R10), AX
	VBROADCASTSS (R9)(AX*4), Y2
	IMULQ        R12, AX
	VFMADD231PS  (SI)(AX*1), Y2, Y0
	VMASKMOVPS   32(SI)(AX*1), Y7, Y3
	VFMADD231PS  Y3, Y2, Y1
	ADDQ         $4, R10
	DECQ         CX
	JNZ          rgloop

rgdone:
	VMOVUPS    Y0, (DI)
	VMASKMOVPS Y1, Y7, 32(DI)
	VZEROUPPER
	RET

// func rowsScatterAVX2(dst, e *float32, n int, x *float32, idx *int32, cnt int, mask *[16]int32)
// dst[i·n:][:n] += x[i]·e[:n] for i = idx[0], …, idx[cnt−1], with 8 ≤ n ≤ 16
// and mask[j] = −1 for j < n: e in two registers.
TEXT ·rowsScatterAVX2(SB), NOSPLIT, $0-56
	MOVQ       dst+0(FP), DI
	MOVQ       e+8(FP), SI
	MOVQ       n+16(FP), R12
	SHLQ       $2, R12
	MOVQ       x+24(FP), R9
	MOVQ       idx+32(FP), R10
	MOVQ       cnt+40(FP), CX
	MOVQ       mask+48(FP), R11
	VMOVDQU    32(R11), Y7
	VMOVUPS    (SI), Y0
	VMASKMOVPS 32(SI), Y7, Y1
	TESTQ      CX, CX
	JZ         rsdone

rsloop:
	MOVLQSX      (R10), AX
	VBROADCASTSS (R9)(AX*4), Y2
	IMULQ        R12, AX
	LEAQ         (DI)(AX*1), BX
	VMOVUPS      (BX), Y3
	VFMADD231PS  Y2, Y0, Y3
	VMOVUPS      Y3, (BX)
	VMASKMOVPS   32(BX), Y7, Y4
	VFMADD231PS  Y2, Y1, Y4
	VMASKMOVPS   Y4, Y7, 32(BX)
	ADDQ         $4, R10
	DECQ         CX
	JNZ          rsloop

rsdone:
	VZEROUPPER
	RET

// The 32-channel chunk of one tap row at BX in Y registers a…d (then BX
// on to the next tap's chunk), back to memory, and value (Y12) times G at
// (g)(AX*4) added to it.
#define LOADROW(a, b, c, d) \
	VMOVUPS 0(BX), a \
	VMOVUPS 32(BX), b \
	VMOVUPS 64(BX), c \
	VMOVUPS 96(BX), d \
	ADDQ    R9, BX

#define STOREROW(a, b, c, d) \
	VMOVUPS a, 0(BX) \
	VMOVUPS b, 32(BX) \
	VMOVUPS c, 64(BX) \
	VMOVUPS d, 96(BX) \
	ADDQ    R9, BX

#define FMAROW(g, a, b, c, d) \
	VFMADD231PS (g)(AX*4), Y12, a \
	VFMADD231PS 32(g)(AX*4), Y12, b \
	VFMADD231PS 64(g)(AX*4), Y12, c \
	VFMADD231PS 96(g)(AX*4), Y12, d

// tapsAVX2(a *tapArgs): see tapArgs (convgather.go) for the field offsets.
// Adds, for every entry of the ranges in order, value·G to the 32-channel
// chunks of a.ntaps consecutive taps (1 to 3), kept in registers: tap j
// reads G at (off − base − j·OutC) floats.
TEXT ·tapsAVX2(SB), NOSPLIT, $0-8
	MOVQ a+0(FP), R8
	MOVQ 0(R8), SI
	MOVQ 24(R8), R13
	MOVQ 32(R8), AX
	SHLQ $2, AX
	SUBQ AX, R13
	MOVQ 40(R8), R9
	SHLQ $2, R9
	MOVQ R13, R14
	SUBQ R9, R14
	MOVQ R14, R15
	SUBQ R9, R15
	MOVQ 48(R8), DI
	MOVQ 56(R8), AX
	CMPQ AX, $2
	JLT  tap1
	JEQ  tap2
	JMP  tap3

tap3:
	MOVQ DI, BX
	LOADROW(Y0, Y1, Y2, Y3)
	LOADROW(Y4, Y5, Y6, Y7)
	LOADROW(Y8, Y9, Y10, Y11)
	MOVQ 8(R8), R10
	MOVQ 16(R8), R11
tap3range:
	MOVLQSX (R10), CX
	MOVLQSX 4(R10), DX
	SUBQ CX, DX
	JZ tap3next
	LEAQ (SI)(CX*8), CX
tap3ent:
	MOVLQSX (CX), AX
	VBROADCASTSS 4(CX), Y12
	FMAROW(R13, Y0, Y1, Y2, Y3)
	FMAROW(R14, Y4, Y5, Y6, Y7)
	FMAROW(R15, Y8, Y9, Y10, Y11)
	ADDQ $8, CX
	DECQ DX
	JNZ tap3ent
tap3next:
	ADDQ $8, R10
	DECQ R11
	JNZ tap3range
	MOVQ DI, BX
	STOREROW(Y0, Y1, Y2, Y3)
	STOREROW(Y4, Y5, Y6, Y7)
	STOREROW(Y8, Y9, Y10, Y11)
	VZEROUPPER
	RET

tap2:
	MOVQ DI, BX
	LOADROW(Y0, Y1, Y2, Y3)
	LOADROW(Y4, Y5, Y6, Y7)
	MOVQ 8(R8), R10
	MOVQ 16(R8), R11
tap2range:
	MOVLQSX (R10), CX
	MOVLQSX 4(R10), DX
	SUBQ CX, DX
	JZ tap2next
	LEAQ (SI)(CX*8), CX
tap2ent:
	MOVLQSX (CX), AX
	VBROADCASTSS 4(CX), Y12
	FMAROW(R13, Y0, Y1, Y2, Y3)
	FMAROW(R14, Y4, Y5, Y6, Y7)
	ADDQ $8, CX
	DECQ DX
	JNZ tap2ent
tap2next:
	ADDQ $8, R10
	DECQ R11
	JNZ tap2range
	MOVQ DI, BX
	STOREROW(Y0, Y1, Y2, Y3)
	STOREROW(Y4, Y5, Y6, Y7)
	VZEROUPPER
	RET

tap1:
	MOVQ DI, BX
	LOADROW(Y0, Y1, Y2, Y3)
	MOVQ 8(R8), R10
	MOVQ 16(R8), R11
tap1range:
	MOVLQSX (R10), CX
	MOVLQSX 4(R10), DX
	SUBQ CX, DX
	JZ tap1next
	LEAQ (SI)(CX*8), CX
tap1ent:
	MOVLQSX (CX), AX
	VBROADCASTSS 4(CX), Y12
	FMAROW(R13, Y0, Y1, Y2, Y3)
	ADDQ $8, CX
	DECQ DX
	JNZ tap1ent
tap1next:
	ADDQ $8, R10
	DECQ R11
	JNZ tap1range
	MOVQ DI, BX
	STOREROW(Y0, Y1, Y2, Y3)
	VZEROUPPER
	RET

// z (Y1) *= the 64-bit constant whose low and high halves are at lo(R11)
// and hi(R11), in every lane (three 32-bit multiplies; Y2, Y3 scratch)
#define MUL64(lo, hi) \
	VPSRLQ   $32, Y1, Y2 \
	VPMULUDQ lo(R11), Y2, Y2 \
	VPMULUDQ hi(R11), Y1, Y3 \
	VPADDQ   Y3, Y2, Y2 \
	VPSLLQ   $32, Y2, Y2 \
	VPMULUDQ lo(R11), Y1, Y1 \
	VPADDQ   Y2, Y1, Y1

// func mixWindowAVX2(win, spk *uint8, u, sv *float32, nwords int, k *mixConsts, st *uint64)
// mixWindow for nwords whole 64-neuron words: each word's draws four at a
// time (splitmix64 in 64-bit lanes), their outcomes deposited on the
// word's window bits (PDEP), the analog values blended in eight at a time.
TEXT ·mixWindowAVX2(SB), NOSPLIT, $0-56
	MOVQ win+0(FP), SI
	MOVQ spk+8(FP), DI
	MOVQ u+16(FP), R8
	MOVQ sv+24(FP), R9
	MOVQ nwords+32(FP), R10
	MOVQ k+40(FP), R11
	MOVQ st+48(FP), R12
	MOVQ (R12), R13
	MOVQ $0x9e3779b97f4a7c15, R14
	XORQ R15, R15

mword:
	MOVQ    (SI)(R15*8), AX
	TESTQ   AX, AX
	JZ      mnext
	POPCNTQ AX, CX
	MOVQ    R13, X0
	VPBROADCASTQ X0, Y0
	VPADDQ  0(R11), Y0, Y0
	XORQ    BX, BX
	XORQ    DX, DX

mdraw:
	VPSRLQ    $30, Y0, Y1
	VPXOR     Y0, Y1, Y1
	MUL64(64, 96)
	VPSRLQ    $27, Y1, Y2
	VPXOR     Y2, Y1, Y1
	MUL64(128, 160)
	VPSRLQ    $31, Y1, Y2
	VPXOR     Y2, Y1, Y1
	VPSRLQ    $32, Y1, Y1
	VPSUBQ    192(R11), Y1, Y1
	VMOVMSKPD Y1, R12
	XORQ      $15, R12
	SHLXQ     DX, R12, R12
	ORQ       R12, BX
	VPADDQ    32(R11), Y0, Y0
	ADDQ      $4, DX
	CMPQ      DX, CX
	JLT       mdraw

	BZHIQ CX, BX, BX
	MOVQ  CX, R12
	IMULQ R14, R12
	ADDQ  R12, R13
	PDEPQ AX, BX, BX
	ORQ   BX, (DI)(R15*8)
	TESTQ BX, BX
	JZ    mnext
	MOVQ  R15, R12
	SHLQ  $8, R12
	LEAQ  (R8)(R12*1), AX
	LEAQ  (R9)(R12*1), R12
	MOVQ  $8, CX

mgroup:
	MOVQ         BX, DX
	ANDQ         $0xff, DX
	MOVQ         DX, X4
	VPBROADCASTD X4, Y4
	VPAND        224(R11), Y4, Y4
	VPCMPEQD     224(R11), Y4, Y4
	VMOVUPS      (AX), Y5
	VSUBPS       256(R11), Y5, Y5
	VMULPS       288(R11), Y5, Y5
	VADDPS       320(R11), Y5, Y5
	VMOVUPS      (R12), Y6
	VBLENDVPS    Y4, Y5, Y6, Y6
	VMOVUPS      Y6, (R12)
	SHRQ         $8, BX
	ADDQ         $32, AX
	ADDQ         $32, R12
	DECQ         CX
	JNZ          mgroup

mnext:
	INCQ R15
	CMPQ R15, R10
	JLT  mword
	MOVQ st+48(FP), R12
	MOVQ R13, (R12)
	VZEROUPPER
	RET

// LISTMASK: of the eight values in Y0, BX gets the bit mask of the
// non-zero ones (±0 is zero), DX that mask·32 (the tables' row), and Y2
// each lane's prefix entry: base + entries so far + set bits below it.
#define LISTMASK \
	VPAND        Y15, Y0, Y1 \
	VPCMPEQD     Y12, Y1, Y1 \
	VMOVMSKPS    Y1, BX \
	XORL         $0xff, BX \
	MOVQ         BX, DX \
	SHLQ         $5, DX \
	LEAL         (R10)(AX*1), R11 \
	MOVQ         R11, X3 \
	VPBROADCASTD X3, Y3 \
	VPADDD       (R9)(DX*1), Y3, Y2

// LISTCOMPACT: the set lanes' (offset, value) pairs, moved down in order
// (the table at 8192 permutes them), are stored at entry AX; AX advances
// by their number and the offsets Y14 by eight columns.
#define LISTCOMPACT \
	VMOVDQU      8192(R9)(DX*1), Y4 \
	VPERMD       Y0, Y4, Y5 \
	VPERMD       Y14, Y4, Y6 \
	VPUNPCKLDQ   Y5, Y6, Y1 \
	VPUNPCKHDQ   Y5, Y6, Y2 \
	VPERM2I128   $0x20, Y2, Y1, Y3 \
	VPERM2I128   $0x31, Y2, Y1, Y4 \
	VMOVDQU      Y3, (R8)(AX*8) \
	VMOVDQU      Y4, 32(R8)(AX*8) \
	POPCNTL      BX, BX \
	ADDQ         BX, AX \
	VPADDD       Y13, Y14, Y14

// func listPlaneAVX2(x *float32, w, h int, pc *int32, e *rowEntry, base, off, rowStep, colStep int32, tab *listTables) int
TEXT ·listPlaneAVX2(SB), NOSPLIT, $0-72
	MOVQ         x+0(FP), SI
	MOVQ         w+8(FP), R12
	MOVQ         h+16(FP), R13
	MOVQ         pc+24(FP), DI
	MOVQ         e+32(FP), R8
	MOVL         base+40(FP), R10
	MOVQ         tab+56(FP), R9
	// Y10: the row's offset, Y9: rowStep, Y11: lane·colStep, Y13: 8·colStep
	MOVL         off+44(FP), AX
	MOVQ         AX, X10
	VPBROADCASTD X10, Y10
	MOVL         rowStep+48(FP), AX
	MOVQ         AX, X9
	VPBROADCASTD X9, Y9
	MOVL         colStep+52(FP), AX
	MOVQ         AX, X13
	VPBROADCASTD X13, Y13
	VMOVDQU      16384(R9), Y7 // the lane numbers 0 … 7
	VPMULLD      Y13, Y7, Y11
	VPSLLD       $3, Y13, Y13
	// Y8: −1 in the lanes below w mod 8 (the last, partial eight of a row)
	MOVQ         R12, AX
	ANDQ         $7, AX
	MOVQ         AX, X8
	VPBROADCASTD X8, Y8
	VPCMPGTD     Y7, Y8, Y8
	MOVL         $0x7fffffff, AX
	MOVQ         AX, X15
	VPBROADCASTD X15, Y15
	VPXOR        Y12, Y12, Y12
	XORQ         AX, AX // entries so far

lprow:
	TESTQ        R13, R13
	JZ           lpdone
	VPADDD       Y11, Y10, Y14 // the offsets of the row's first eight
	MOVQ         R12, CX
	SHRQ         $3, CX
	JZ           lppart

lpblock:
	VMOVUPS      (SI), Y0
	LISTMASK
	VMOVDQU      Y2, (DI)
	LISTCOMPACT
	ADDQ         $32, SI
	ADDQ         $32, DI
	DECQ         CX
	JNZ          lpblock

lppart:
	MOVQ         R12, CX
	ANDQ         $7, CX
	JZ           lpend
	VPMASKMOVD   (SI), Y8, Y0
	LISTMASK
	VPMASKMOVD   Y2, Y8, (DI)
	LISTCOMPACT
	LEAQ         (SI)(CX*4), SI
	LEAQ         (DI)(CX*4), DI

lpend:
	// pr[w]: the row's end
	LEAL         (R10)(AX*1), R11
	MOVL         R11, (DI)
	ADDQ         $4, DI
	VPADDD       Y9, Y10, Y10
	DECQ         R13
	JMP          lprow

lpdone:
	MOVQ         AX, ret+64(FP)
	VZEROUPPER
	RET
