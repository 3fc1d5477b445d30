package provision

import (
	"errors"
	"fmt"
	"strings"

	"github.com/hashicorp/go-multierror"
)

// FieldError is a problem with one field of a Request, named by its key:
// the flag name without dashes ("arch", "keep-id", "net"), which apply
// files use as their keys too. The library words what is wrong and what
// to do in terms of values; the front end names the field its own way (the
// command line as --arch, an apply file as containers[1].arch), once, with
// NameFields.
type FieldError struct {
	Field string
	// Value is the value at fault, shown after the field: a string is
	// quoted, a number is not; nil when the problem is not one value's.
	Value any
	Err   error
}

func (e *FieldError) Error() string { return e.named(e.Field) }

func (e *FieldError) Unwrap() error { return e.Err }

func (e *FieldError) named(name string) string {
	switch v := e.Value.(type) {
	case nil:
		return fmt.Sprintf("%s: %v", name, e.Err)
	case string:
		return fmt.Sprintf("%s %q: %v", name, v, e.Err)
	default:
		return fmt.Sprintf("%s %v: %v", name, v, e.Err)
	}
}

// fieldErrorf makes a FieldError whose Err is formatted.
func fieldErrorf(field string, value any, format string, args ...any) *FieldError {
	return &FieldError{Field: field, Value: value, Err: fmt.Errorf(format, args...)}
}

// NameFields is err's text with the field of each FieldError in it named
// by name(field), in every problem of a collected list too. What wraps a
// FieldError keeps its own words.
func NameFields(err error, name func(field string) string) string {
	return NameFieldValues(err, func(fe *FieldError) string { return name(fe.Field) })
}

// NameFieldValues is NameFields for a front end whose names depend on the
// value too: an apply file names the list item a value came from
// (containers[1].keep-id[0]).
func NameFieldValues(err error, name func(*FieldError) string) string {
	text := err.Error()
	var list *multierror.Error
	if errors.As(err, &list) {
		renamed := make([]error, len(list.Errors))
		for i, e := range list.Errors {
			renamed[i] = errors.New(NameFieldValues(e, name))
		}
		format := list.ErrorFormat
		if format == nil {
			format = problemList
		}
		return strings.Replace(text, list.Error(), format(renamed), 1)
	}
	var fe *FieldError
	if errors.As(err, &fe) {
		return strings.Replace(text, fe.Error(), fe.named(name(fe)), 1)
	}
	return text
}

// problems collects the problems of a request; its error reads as one
// clean list.
type problems struct{ list *multierror.Error }

func (p *problems) add(err error) { p.list = multierror.Append(p.list, err) }

func (p *problems) err() error {
	if p.list == nil {
		return nil
	}
	p.list.ErrorFormat = problemList
	return p.list
}

// problemList is the ErrorFormat of collected problems: one problem is just
// its line, several a short list under a count.
func problemList(errs []error) string {
	if len(errs) == 1 {
		return errs[0].Error()
	}
	var b strings.Builder
	fmt.Fprintf(&b, "%d problems:", len(errs))
	for _, e := range errs {
		b.WriteString("\n  - " + e.Error())
	}
	return b.String()
}

// JoinProblems collects errs into one list read as problems are (nil when
// there are none): how a front end reports its own problems together with
// a request's.
func JoinProblems(errs ...error) error {
	var ps problems
	for _, err := range errs {
		var list *multierror.Error
		if errors.As(err, &list) {
			for _, e := range list.Errors {
				ps.add(e)
			}
		} else if err != nil {
			ps.add(err)
		}
	}
	return ps.err()
}
