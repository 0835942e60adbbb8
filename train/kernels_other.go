//go:build !amd64 || purego

package train

const useAVX2 = false

const useMixAVX2 = false

func axpyAVX2(a float32, x, y []float32) { axpyGeneric(a, x, y) }

func dotAVX2(x, y []float32) float32 { return dotGeneric(x, y) }

func patchDotAVX2(*float32, int, int, *float32, int, int, int, int, int) float32 {
	panic("train: no AVX2")
}

func patchDots8AVX2(*float32, int, int, int, *float32, int, int, int, int, int, *[8]float32) {
	panic("train: no AVX2")
}

func lifStepAVX2(*float32, *float32, *float32, *float32, int, float32, float32, uint32, int, *float32, *uint8, *uint8) {
	panic("train: no AVX2")
}

func lifBackAVX2(*float32, *float32, *float32, *float32, *float32, int, float32, float32, float32, uint32, int, *[8]float32) {
	panic("train: no AVX2")
}

func patchAxpyEventsAVX2(*patchEvent, int, *float32, int, int, *float32, int, int, int) {
	panic("train: no AVX2")
}

func gatherPairAVX2(*gatherArgs) { panic("train: no AVX2") }

func transpose8AVX2(*float32, *float32, int, int) { panic("train: no AVX2") }

func spread2AVX2(*float32, *float32, *float32, int, float32) { panic("train: no AVX2") }

func gatherPair16AVX2(*gatherArgs) { panic("train: no AVX2") }

func pool2AVX2(*float32, *float32, *float32, int, float32) { panic("train: no AVX2") }

func rowsGatherAVX2(*float32, *float32, int, *float32, *int32, int, *[16]int32) {
	panic("train: no AVX2")
}

func rowsScatterAVX2(*float32, *float32, int, *float32, *int32, int, *[16]int32) {
	panic("train: no AVX2")
}

func tapsAVX2(*tapArgs) { panic("train: no AVX2") }

func mixWindowAVX2(*uint8, *uint8, *float32, *float32, int, *mixConsts, *uint64) {
	panic("train: no AVX2")
}

const useListAVX2 = false

func listPlaneAVX2(*float32, int, int, *int32, *rowEntry, int32, int32, int32, int32, *listTables) int {
	panic("train: no AVX2")
}
