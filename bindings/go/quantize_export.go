package quiver

// The exported trampoline of TrainQuantizer's progress callback. It lives in
// a file of its own: the preamble of a file with //export is compiled into
// two C files, so it may hold declarations only (the C side of the
// callback, qvgo_progress, is in quantize.go).

/*
#include <stdint.h>
*/
import "C"

import "runtime/cgo"

// qvgoProgress is called by qv_collection_train_quantizer, through
// qvgo_progress, on the thread of TrainQuantizer's cgo call (a callback into
// the goroutine that called TrainQuantizer). handle is the
// cgo.Handle of the call's progressState (deleted only after the C call
// returned, so it is valid here). It returns 1 to go on, 0 to cancel; it
// never panics into C (report recovers the callback's panics).
//
//export qvgoProgress
func qvgoProgress(handle C.uintptr_t, done, total C.uint64_t) C.int32_t {
	st, ok := cgo.Handle(handle).Value().(*progressState)
	if !ok || !st.report(uint64(done), uint64(total)) {
		return 0
	}
	return 1
}
