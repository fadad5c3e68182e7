package client

import "errors"

// hintError is an error that comes with a suggestion for the user.
type hintError struct {
	err  error
	hint string
}

func (e *hintError) Error() string { return e.err.Error() }
func (e *hintError) Unwrap() error { return e.err }

// withHint returns err with the suggestion hint attached; see [Hint].
func withHint(err error, hint string) error {
	if err == nil {
		return nil
	}
	return &hintError{err: err, hint: hint}
}

// Hint returns the suggestion attached to the first error in err's chain
// that has one, or "" if there is none. The suggestion says what the user
// can do about the error, in terms of the spa command's flags.
func Hint(err error) string {
	var h *hintError
	if errors.As(err, &h) {
		return h.hint
	}
	return ""
}
