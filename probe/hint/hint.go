package hint

import (
	"errors"
	"fmt"
	"io"
	"strings"
)

// Error is a failure with what to do about it and the exit code it ends
// the process with.
type Error struct {
	Msg  string
	Hint string
	// Code is the exit code (verdict's table); 0 lets Printer.Fail choose.
	Code int
}

func (e *Error) Error() string { return e.Msg }

// Errorf is an Error with code and hint.
func Errorf(code int, hint, format string, args ...any) *Error {
	return &Error{Msg: fmt.Sprintf(format, args...), Hint: hint, Code: code}
}

// Printer prints a binary's error and hint lines.
type Printer struct {
	// Prog leads every line: irsa-probe, kubectl-irsa_probe.
	Prog string
	W    io.Writer
}

// Lines writes "PROG: KIND: LINE" for each line of msg.
func (p Printer) Lines(kind, msg string) {
	for _, line := range strings.Split(msg, "\n") {
		fmt.Fprintf(p.W, "%s: %s: %s\n", p.Prog, kind, line)
	}
}

// Fail prints err and its hint, when it has one, and returns the exit
// code: the Error's own, else def.
func (p Printer) Fail(err error, def int) int {
	p.Lines("error", err.Error())
	var he *Error
	if errors.As(err, &he) {
		if he.Hint != "" {
			p.Lines("hint", he.Hint)
		}
		if he.Code != 0 {
			return he.Code
		}
	}
	return def
}
