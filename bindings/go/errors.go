package quiver

/*
#include <quiver.h>
*/
import "C"

import (
	"fmt"
)

// Code is a status code of the C library (QV_ERR_*). New codes may be added
// in later library versions; an *Error with a code this package does not
// know matches ErrUnknown.
type Code int32

// The status codes of the C library (include/quiver.h, enum qv_status).
const (
	CodeInvalidArgument    Code = C.QV_ERR_INVALID_ARGUMENT
	CodeDimensionMismatch  Code = C.QV_ERR_DIMENSION_MISMATCH
	CodeNotFound           Code = C.QV_ERR_NOT_FOUND
	CodeAlreadyExists      Code = C.QV_ERR_ALREADY_EXISTS
	CodeClosed             Code = C.QV_ERR_CLOSED
	CodeIO                 Code = C.QV_ERR_IO
	CodeCorrupt            Code = C.QV_ERR_CORRUPT
	CodeIncompatibleFormat Code = C.QV_ERR_INCOMPATIBLE_FORMAT
	CodeLocked             Code = C.QV_ERR_LOCKED
	CodeUnsupported        Code = C.QV_ERR_UNSUPPORTED
	CodeQuerySyntax        Code = C.QV_ERR_QUERY_SYNTAX
	CodeOutOfMemory        Code = C.QV_ERR_OUT_OF_MEMORY
	CodeInternal           Code = C.QV_ERR_INTERNAL
	CodePanic              Code = C.QV_ERR_PANIC
	CodeReadOnly           Code = C.QV_ERR_READ_ONLY
	CodeCancelled          Code = C.QV_ERR_CANCELLED
	lastKnownCode               = CodeCancelled
	codeUnknown            Code = -1 // the code of ErrUnknown only
)

var codeNames = [...]string{
	CodeInvalidArgument:    "invalid argument",
	CodeDimensionMismatch:  "dimension mismatch",
	CodeNotFound:           "not found",
	CodeAlreadyExists:      "already exists",
	CodeClosed:             "closed",
	CodeIO:                 "io error",
	CodeCorrupt:            "corrupt",
	CodeIncompatibleFormat: "incompatible format",
	CodeLocked:             "locked",
	CodeUnsupported:        "unsupported",
	CodeQuerySyntax:        "query syntax",
	CodeOutOfMemory:        "out of memory",
	CodeInternal:           "internal error",
	CodePanic:              "panic in the library",
	CodeReadOnly:           "read only",
	CodeCancelled:          "cancelled",
}

// known reports whether c is one of the codes above.
func (c Code) known() bool {
	return c >= CodeInvalidArgument && c <= lastKnownCode
}

// String names the code ("not found"); an unknown code reads "status 42".
func (c Code) String() string {
	if c.known() {
		return codeNames[c]
	}
	if c == codeUnknown {
		return "unknown error"
	}
	return fmt.Sprintf("status %d", int32(c))
}

// Error is an error reported by the library (or found by this package
// before calling it): the status code and a message with context, such as
// "dimension mismatch: point 7 (batch index 2): got 96 floats, collection
// expects 128".
//
// errors.Is(err, ErrX) is true when err is an *Error with ErrX's code (any
// code this package does not know matches ErrUnknown); errors.As gives the
// *Error itself.
type Error struct {
	Code    Code
	Message string
}

// Error returns "quiver: " followed by the message.
func (e *Error) Error() string {
	if e.Message == "" {
		return "quiver: " + e.Code.String()
	}
	return "quiver: " + e.Message
}

// Is makes errors.Is match an *Error against the sentinel of its code.
func (e *Error) Is(target error) bool {
	t, ok := target.(*Error)
	if !ok {
		return false
	}
	if t == ErrUnknown {
		return !e.Code.known()
	}
	return t.Code == e.Code && (t.Message == "" || t.Message == e.Message)
}

// Sentinels for errors.Is, one per status code. They carry no message; the
// errors the package returns are distinct *Error values with a message.
var (
	// ErrInvalidArgument: a malformed argument (bad name, NaN, k out of
	// range, bad JSON, bad filter, mismatched lengths, ...).
	ErrInvalidArgument = &Error{Code: CodeInvalidArgument}
	// ErrDimensionMismatch: a vector's length differs from the
	// collection's dimension.
	ErrDimensionMismatch = &Error{Code: CodeDimensionMismatch}
	// ErrNotFound: the named collection (or field index) does not exist.
	ErrNotFound = &Error{Code: CodeNotFound}
	// ErrAlreadyExists: the named collection (or field index) exists already.
	ErrAlreadyExists = &Error{Code: CodeAlreadyExists}
	// ErrClosed: the handle, its database or its collection was closed or
	// dropped.
	ErrClosed = &Error{Code: CodeClosed}
	// ErrIO: an operating-system I/O error.
	ErrIO = &Error{Code: CodeIO}
	// ErrCorrupt: a file fails its checks.
	ErrCorrupt = &Error{Code: CodeCorrupt}
	// ErrIncompatibleFormat: a file is not a Quiver file, or has a format
	// version this library cannot read.
	ErrIncompatibleFormat = &Error{Code: CodeIncompatibleFormat}
	// ErrLocked: the database directory is open already, in this process
	// or another.
	ErrLocked = &Error{Code: CodeLocked}
	// ErrUnsupported: the operation does not apply (e.g. vector search on a
	// metadata-only collection).
	ErrUnsupported = &Error{Code: CodeUnsupported}
	// ErrQuerySyntax: reserved for the query language.
	ErrQuerySyntax = &Error{Code: CodeQuerySyntax}
	// ErrOutOfMemory: a result buffer could not be allocated.
	ErrOutOfMemory = &Error{Code: CodeOutOfMemory}
	// ErrInternal: a bug in the library.
	ErrInternal = &Error{Code: CodeInternal}
	// ErrPanic: the library panicked; the call had no effect it acknowledges.
	ErrPanic = &Error{Code: CodePanic}
	// ErrReadOnly: the collection refuses writes until it is reopened (an
	// I/O error after a log append, such as a failed fsync or a full disk,
	// or a caught panic left its state uncertain). Reads and searches still
	// work; Stats reports the cause (ReadOnlyCause). Closing the database
	// and opening it again recovers from the log.
	ErrReadOnly = &Error{Code: CodeReadOnly}
	// ErrCancelled: a long operation (Collection.TrainQuantizer) stopped
	// because its progress callback returned false (or panicked: see
	// CallbackPanicError); it changed nothing.
	ErrCancelled = &Error{Code: CodeCancelled}
	// ErrUnknown matches an *Error whose code is none of the above (a code
	// added by a newer library).
	ErrUnknown = &Error{Code: codeUnknown}
)

// CallbackPanicError is the error of a call whose Go callback panicked (the
// progress callback of Collection.TrainQuantizer): the panic was recovered
// on the library's thread, so that it could not unwind through C, and
// cancelled the call. errors.Is matches it against Err's sentinel
// (ErrCancelled: nothing changed), and against Value when that is an error.
type CallbackPanicError struct {
	// Value is the value the callback passed to panic.
	Value any
	// Stack is the stack of the callback's goroutine at the panic.
	Stack []byte
	// Err is the library's error for the call, matching ErrCancelled
	// (nothing changed); nil only if the library completed the call
	// regardless of the cancel.
	Err error
}

// Error returns "quiver: progress callback panicked: " and the value.
func (e *CallbackPanicError) Error() string {
	return fmt.Sprintf("quiver: progress callback panicked: %v", e.Value)
}

// Unwrap returns Err and Value when it is an error.
func (e *CallbackPanicError) Unwrap() []error {
	var errs []error
	if e.Err != nil {
		errs = append(errs, e.Err)
	}
	if v, ok := e.Value.(error); ok {
		errs = append(errs, v)
	}
	return errs
}

// takeError turns a failed status and its error object into an *Error and
// frees the object. cerr may be nil (the library always sets it on failure,
// but the message is then just the code's name).
func takeError(rc C.int32_t, cerr *C.qv_error) error {
	e := &Error{Code: Code(rc)}
	if cerr != nil {
		e.Message = C.GoString(C.qv_error_message(cerr))
		C.qv_error_free(cerr)
	}
	return e
}

// errorf builds an *Error found by the binding itself, before any C call
// (for example, slices whose lengths disagree).
func errorf(code Code, format string, args ...any) error {
	return &Error{Code: code, Message: code.String() + ": " + fmt.Sprintf(format, args...)}
}

// closedError is the error of a call on a handle closed by its Close method.
func closedError(what string) error {
	return &Error{Code: CodeClosed, Message: "closed: " + what + " handle was closed"}
}
