package main

import (
	"fmt"
	"io"
	"strings"
)

// printer writes the demo's narrative and counts its checks. A failed
// check is printed where it happens and makes the demo fail at the end.
type printer struct {
	out      io.Writer
	checks   int
	failures []string
}

// section starts a titled part of the output.
func (p *printer) section(format string, args ...any) {
	fmt.Fprintf(p.out, "\n%s\n", fmt.Sprintf(format, args...))
}

// step writes one action of the demo.
func (p *printer) step(format string, args ...any) {
	fmt.Fprintf(p.out, "  %s\n", fmt.Sprintf(format, args...))
}

// detail writes a line that belongs to the step above it.
func (p *printer) detail(format string, args ...any) {
	fmt.Fprintf(p.out, "      %s\n", fmt.Sprintf(format, args...))
}

// expect counts a check and, when ok is false, prints and records the
// failure described by format.
func (p *printer) expect(ok bool, format string, args ...any) {
	p.checks++
	if ok {
		return
	}
	msg := fmt.Sprintf(format, args...)
	p.failures = append(p.failures, msg)
	fmt.Fprintf(p.out, "      UNEXPECTED: %s\n", msg)
}

// expectEqual checks that got equals want and names what was compared.
func expectEqual[T comparable](p *printer, what string, got, want T) {
	p.expect(got == want, "%s is %v, expected %v", what, got, want)
}

// err returns nil when every check passed, else an error listing the
// failures.
func (p *printer) err() error {
	if len(p.failures) == 0 {
		return nil
	}
	return fmt.Errorf("%d of %d checks failed:\n  - %s", len(p.failures), p.checks, strings.Join(p.failures, "\n  - "))
}

// xmlHeader is the declaration every TwiML document starts with. The
// output leaves it out.
const xmlHeader = `<?xml version="1.0" encoding="UTF-8"?>` + "\n"

// shortBody returns a webhook response body for display: TwiML without its
// XML declaration, "(empty)" for no body.
func shortBody(body string) string {
	body = strings.TrimPrefix(body, xmlHeader)
	if body == "" {
		return "(empty)"
	}
	return body
}
