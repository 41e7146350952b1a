package nvdb

import (
	"errors"
	"strconv"
	"strings"
)

// Status is an nvdb status code (the NVDB_E* values of nvdb.h). Each
// non-zero Status is also an error, so the constants below serve as
// sentinels: errors.Is(err, nvdb.ErrDim) tells whether an operation failed
// because of a wrong dimension, as syscall.Errno does for system errors.
type Status int

// The status codes of nvdb.h. Their values never change meaning.
const (
	ErrInvalid  Status = -1  // an argument is invalid (out of range, unknown locator)
	ErrDim      Status = -2  // a vector's length or the dimension is wrong
	ErrVector   Status = -3  // a vector has NaN/Inf, is zero under cosine, or overflows
	ErrID       Status = -4  // an id is empty, too long, not UTF-8, or has NUL
	ErrJSON     Status = -5  // metadata or additional data is not one valid JSON object
	ErrFilter   Status = -6  // a declarative filter is invalid
	ErrNotFound Status = -7  // the database to open does not exist
	ErrExist    Status = -8  // the database to create exists already
	ErrIO       Status = -9  // an operating-system I/O call failed
	ErrCorrupt  Status = -10 // a file is truncated or corrupt
	ErrVersion  Status = -11 // a file or segment of another format or layout
	ErrBusy     Status = -12 // another writer has the database open
	ErrReadOnly Status = -13 // a write through a read-only handle
	ErrNoMem    Status = -14 // out of memory
	ErrAborted  Status = -15 // a query was abandoned
	ErrMismatch Status = -16 // options (dim, metric) differ from the database's
	ErrInternal Status = -99 // a bug in nvdb or in this package
)

var statusNames = map[Status]string{
	ErrInvalid: "NVDB_EINVAL", ErrDim: "NVDB_EDIM", ErrVector: "NVDB_EVECTOR", ErrID: "NVDB_EID",
	ErrJSON: "NVDB_EJSON", ErrFilter: "NVDB_EFILTER", ErrNotFound: "NVDB_ENOTFOUND",
	ErrExist: "NVDB_EEXIST", ErrIO: "NVDB_EIO", ErrCorrupt: "NVDB_ECORRUPT",
	ErrVersion: "NVDB_EVERSION", ErrBusy: "NVDB_EBUSY", ErrReadOnly: "NVDB_EREADONLY",
	ErrNoMem: "NVDB_ENOMEM", ErrAborted: "NVDB_EABORTED", ErrMismatch: "NVDB_EMISMATCH",
	ErrInternal: "NVDB_EINTERNAL",
}

// Name is the C name of the status, such as "NVDB_EDIM".
func (s Status) Name() string {
	if name, ok := statusNames[s]; ok {
		return name
	}
	return "status " + strconv.Itoa(int(s))
}

// Error is nvdb's static description of the status (nvdb_strerror).
func (s Status) Error() string { return "nvdb: " + strerror(s) }

// ErrClosed is matched (errors.Is) by the error of any call on a closed DB.
// That error's Status is ErrInvalid, as the C API answers for a NULL handle.
var ErrClosed = errors.New("nvdb: the database is closed")

// Error is the error every failed call returns: which operation failed,
// nvdb's status code and nvdb's message naming what was wrong (the record,
// the id, the byte). errors.Is(err, nvdb.ErrDim) matches on the status;
// errors.As(err, &e) gives the whole *Error.
type Error struct {
	Op      string // the operation: "open", "upsert", "query", ...
	Status  Status // the nvdb status code
	Message string // nvdb's message, captured in the call that failed

	closed bool // the handle was closed: also matches ErrClosed
}

func (e *Error) Error() string {
	// nvdb's messages mostly name the operation already ("query: the
	// vector has 2 components..."): it is not repeated.
	message := e.Message
	if !strings.HasPrefix(message, e.Op+":") {
		message = e.Op + ": " + message
	}
	return "nvdb: " + message + " (" + e.Status.Name() + ")"
}

// Unwrap gives the Status, so that errors.Is compares status codes.
func (e *Error) Unwrap() error { return e.Status }

// Is reports whether target is ErrClosed and the handle was closed; other
// targets are compared through Unwrap.
func (e *Error) Is(target error) bool { return e.closed && target == ErrClosed }

func closedError(op string) error {
	return &Error{Op: op, Status: ErrInvalid, Message: "the database is closed", closed: true}
}

func invalid(op, message string) error {
	return &Error{Op: op, Status: ErrInvalid, Message: message}
}
