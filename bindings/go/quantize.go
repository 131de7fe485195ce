package quiver

/*
#include <quiver.h>

// qvgoProgress is the exported Go trampoline (quantize_export.go).
extern int32_t qvgoProgress(uintptr_t handle, uint64_t done, uint64_t total);

// qvgo_progress is the qv_progress_fn handed to the library: user_data
// carries a runtime/cgo.Handle (an integer, never a Go pointer), which the
// trampoline turns back into the Go state of the call.
static int32_t qvgo_progress(void *user_data, uint64_t done, uint64_t total) {
	return qvgoProgress((uintptr_t)user_data, done, total);
}

// qvgo_train calls qv_collection_train_quantizer with the trampoline when
// handle is not 0, without a callback otherwise.
static int32_t qvgo_train(const qv_collection *c, const qv_train_params *p, uintptr_t handle,
                          qv_error **err) {
	return qv_collection_train_quantizer(c, p, handle != 0 ? qvgo_progress : NULL,
	                                     (void *)handle, err);
}
*/
import "C"

import (
	"runtime/cgo"
	"runtime/debug"
	"sync"
)

// TrainParams are the parameters of Collection.TrainQuantizer. Zero fields
// take the library's defaults (qv_train_params_init): automatic subspaces,
// 256 centroids, 12 k-means iterations. They are the defaults, not the
// collection's current values: to retrain with the parameters a collection
// has, pass them back from Config (PQSubspaces, PQCentroids).
//
// Only StoragePQ trains anything tunable; the other quantized modes
// retrain with the same code as at sealing and ignore the values (which
// are still checked and kept with the collection).
type TrainParams struct {
	// PQSubspaces is the number of PQ subspaces (code bytes per point); it
	// must divide the dimension. 0 = automatic: the largest divisor of the
	// dimension not above dimension/8.
	PQSubspaces int
	// PQCentroids is the number of centroids per subspace, 2..256; 0 = 256.
	PQCentroids int
	// PQIterations is the number of k-means iterations, 1..100; 0 = 12.
	PQIterations int
}

// toC fills C params from the defaults and the non-zero fields.
func (p TrainParams) toC() (C.qv_train_params, error) {
	var c C.qv_train_params
	C.qv_train_params_init(&c)
	err := setUint32Fields("TrainParams", []uint32Field{
		{"PQSubspaces", p.PQSubspaces, &c.pq_subspaces},
		{"PQCentroids", p.PQCentroids, &c.pq_centroids},
		{"PQIterations", p.PQIterations, &c.pq_iterations},
	})
	return c, err
}

// TrainQuantizer retrains the quantizer of every sealed segment of a
// quantized collection with params, re-encodes their codes, and keeps
// params for the segments sealed later (they are persisted with the
// collection; Config reports the new PQSubspaces and PQCentroids). It
// blocks until done. Segments are trained automatically when they are
// sealed; call it to change PQ's parameters or to retrain on today's data.
// The appendable segment (the latest writes, searched exactly) is not
// affected: call Optimize first to seal it. Searches and writes go on
// meanwhile; searches see the old codes or the new ones.
//
// progress, when not nil, is called with (steps done, total steps) as
// training steps finish: one per PQ subspace per sealed segment, one per
// sealed segment in the other modes, done rising by one each call (a
// training that is not cancelled reports each value from 1 to total once,
// in order). progress runs on the calling goroutine, on the thread of its
// cgo call (the library trains on its own threads meanwhile and forwards
// each finished step to that thread), one call at a time, and every call
// happens before TrainQuantizer returns; it should return quickly. It may
// search any collection, but must not optimize, train, close or drop this
// collection, nor close its DB: those wait for the training, which waits
// for progress, so they deadlock. Nor may it call runtime.Goexit (t.Fatal
// or t.FailNow in a test): no recover stops it, and it would unwind the
// goroutine past the library's C frames, abandoning the call midway (the
// collection stays locked, the training threads keep using that stack);
// report failures by returning false.
//
// progress returns true to go on and false to cancel: TrainQuantizer then
// returns an error matching ErrCancelled and nothing has changed; progress
// is not called again. Once training is done the codes are written (not
// cancellable) and progress is not called again either. A panic in
// progress does not cross into the library: it is recovered, cancels the
// training like false, and TrainQuantizer returns it as a
// *CallbackPanicError (which also matches ErrCancelled).
//
// Errors: ErrUnsupported (a StorageF32 collection: nothing to train),
// ErrInvalidArgument (a parameter out of range, the message names it, e.g.
// "params.pq_subspaces is 7; it must divide the dimension 384 ..."),
// ErrCancelled, *CallbackPanicError, ErrClosed, ErrReadOnly, ErrIO.
func (c *Collection) TrainQuantizer(params TrainParams, progress func(done, total uint64) bool) error {
	cp, err := params.toC()
	if err != nil {
		return err
	}
	ptr, err := c.acquire()
	if err != nil {
		return err
	}
	defer c.release()
	var h cgo.Handle // 0: no callback
	var st *progressState
	if progress != nil {
		st = &progressState{fn: progress}
		h = cgo.NewHandle(st)
		defer h.Delete()
	}
	var cerr *C.qv_error
	if rc := C.qvgo_train(ptr, &cp, C.uintptr_t(h), &cerr); rc != C.QV_OK {
		err = takeError(rc, cerr)
	}
	if st != nil {
		// The callbacks ran on this goroutine; the lock keeps the order
		// explicit whatever the library does.
		st.mu.Lock()
		defer st.mu.Unlock()
		if st.panicked {
			return &CallbackPanicError{Value: st.panicValue, Stack: st.stack, Err: err}
		}
	}
	return err
}

// progressState is the Go side of one TrainQuantizer call with a progress
// callback, reached from the trampoline through a cgo.Handle.
type progressState struct {
	mu         sync.Mutex // one callback at a time, whatever the library does
	fn         func(done, total uint64) bool
	stopped    bool // fn returned false or panicked: it is not called again
	panicked   bool
	panicValue any
	stack      []byte
}

// report calls fn and returns whether training goes on. A panic in fn is
// recovered and recorded, and cancels.
func (p *progressState) report(done, total uint64) (goOn bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.stopped {
		return false
	}
	defer func() {
		if r := recover(); r != nil {
			p.stopped, p.panicked = true, true
			p.panicValue, p.stack = r, debug.Stack()
			goOn = false
		}
	}()
	goOn = p.fn(done, total)
	if !goOn {
		p.stopped = true
	}
	return goOn
}
