package policy

import (
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
)

// A small JSON reader that keeps where every value sits in the text:
// encoding/json forgets positions, and a minimal edit must replace exactly
// the bytes of one key or value and leave everything else as written.

// maxDepth bounds nesting; a trust policy is 5 levels deep.
const maxDepth = 32

// node is one JSON value and its byte span [start, end) in the text.
type node struct {
	kind       byte // 'o' object, 'a' array, 's' string, 'n' number, 'b' bool, 'z' null
	start, end int
	str        string // decoded string; the literal text of a number or bool
	members    []member
	items      []*node
}

// member is one "key": value of an object.
type member struct {
	key              string
	keyStart, keyEnd int // span of the key, quotes included
	val              *node
}

// get is the value of key (the last one, as encoding/json and IAM read
// duplicates), or nil.
func (n *node) get(key string) *node {
	if n == nil || n.kind != 'o' {
		return nil
	}
	var v *node
	for _, m := range n.members {
		if m.key == key {
			v = m.val
		}
	}
	return v
}

// MalformedError is a document that does not parse as a trust policy; Line
// and Column (1-based, columns in bytes) say where.
type MalformedError struct {
	Line, Column int
	Msg          string
	src          string // the text the position is in, to show the line
}

func (e *MalformedError) Error() string {
	return fmt.Sprintf("line %d, column %d: %s", e.Line, e.Column, e.Msg)
}

// position turns a byte offset of text into a 1-based line and column.
func position(text string, off int) (line, col int) {
	off = max(0, min(off, len(text)))
	line = 1 + strings.Count(text[:off], "\n")
	col = off - strings.LastIndexByte(text[:off], '\n')
	return line, col
}

func malformedAt(text string, off int, format string, args ...any) *MalformedError {
	l, c := position(text, off)
	return &MalformedError{Line: l, Column: c, Msg: fmt.Sprintf(format, args...), src: text}
}

type jsonReader struct {
	text string
	pos  int
}

// parseJSON reads exactly one JSON value, with whitespace around it.
func parseJSON(text string) (*node, error) {
	r := &jsonReader{text: text}
	r.space()
	n, err := r.value(0)
	if err != nil {
		return nil, err
	}
	r.space()
	if r.pos < len(text) {
		return nil, r.errf("unexpected %s after the document", r.describe())
	}
	return n, nil
}

func (r *jsonReader) errf(format string, args ...any) *MalformedError {
	return malformedAt(r.text, r.pos, format, args...)
}

func (r *jsonReader) describe() string {
	if r.pos >= len(r.text) {
		return "end of input"
	}
	return strconv.QuoteRune(rune(r.text[r.pos]))
}

func (r *jsonReader) space() {
	for r.pos < len(r.text) {
		switch r.text[r.pos] {
		case ' ', '\t', '\n', '\r':
			r.pos++
		default:
			return
		}
	}
}

func (r *jsonReader) value(depth int) (*node, error) {
	if depth > maxDepth {
		return nil, r.errf("nested more than %d levels", maxDepth)
	}
	if r.pos >= len(r.text) {
		return nil, r.errf("unexpected end of input: a value is missing")
	}
	switch c := r.text[r.pos]; {
	case c == '{':
		return r.object(depth)
	case c == '[':
		return r.array(depth)
	case c == '"':
		return r.string()
	case c == '-' || (c >= '0' && c <= '9'):
		return r.number()
	default:
		for _, lit := range []struct {
			word string
			kind byte
		}{{"true", 'b'}, {"false", 'b'}, {"null", 'z'}} {
			if strings.HasPrefix(r.text[r.pos:], lit.word) {
				n := &node{kind: lit.kind, start: r.pos, end: r.pos + len(lit.word), str: lit.word}
				r.pos = n.end
				return n, nil
			}
		}
		return nil, r.errf("unexpected %s: expected a value", r.describe())
	}
}

func (r *jsonReader) object(depth int) (*node, error) {
	n := &node{kind: 'o', start: r.pos}
	r.pos++ // {
	r.space()
	if r.pos < len(r.text) && r.text[r.pos] == '}' {
		r.pos++
		n.end = r.pos
		return n, nil
	}
	for {
		r.space()
		if r.pos >= len(r.text) || r.text[r.pos] != '"' {
			return nil, r.errf("unexpected %s: expected a quoted key", r.describe())
		}
		k, err := r.string()
		if err != nil {
			return nil, err
		}
		r.space()
		if r.pos >= len(r.text) || r.text[r.pos] != ':' {
			return nil, r.errf("unexpected %s: expected ':' after the key %q", r.describe(), k.str)
		}
		r.pos++
		r.space()
		v, err := r.value(depth + 1)
		if err != nil {
			return nil, err
		}
		n.members = append(n.members, member{key: k.str, keyStart: k.start, keyEnd: k.end, val: v})
		r.space()
		if r.pos >= len(r.text) {
			return nil, r.errf("unexpected end of input: '}' is missing")
		}
		switch r.text[r.pos] {
		case ',':
			r.pos++
		case '}':
			r.pos++
			n.end = r.pos
			return n, nil
		default:
			return nil, r.errf("unexpected %s: expected ',' or '}'", r.describe())
		}
	}
}

func (r *jsonReader) array(depth int) (*node, error) {
	n := &node{kind: 'a', start: r.pos}
	r.pos++ // [
	r.space()
	if r.pos < len(r.text) && r.text[r.pos] == ']' {
		r.pos++
		n.end = r.pos
		return n, nil
	}
	for {
		r.space()
		v, err := r.value(depth + 1)
		if err != nil {
			return nil, err
		}
		n.items = append(n.items, v)
		r.space()
		if r.pos >= len(r.text) {
			return nil, r.errf("unexpected end of input: ']' is missing")
		}
		switch r.text[r.pos] {
		case ',':
			r.pos++
		case ']':
			r.pos++
			n.end = r.pos
			return n, nil
		default:
			return nil, r.errf("unexpected %s: expected ',' or ']'", r.describe())
		}
	}
}

func (r *jsonReader) string() (*node, error) {
	start := r.pos
	i := r.pos + 1
	for i < len(r.text) {
		switch c := r.text[i]; {
		case c == '\\':
			i += 2
			continue
		case c == '"':
			var s string
			if err := json.Unmarshal([]byte(r.text[start:i+1]), &s); err != nil {
				return nil, malformedAt(r.text, start, "invalid string: %v", err)
			}
			r.pos = i + 1
			return &node{kind: 's', start: start, end: r.pos, str: s}, nil
		case c < 0x20:
			return nil, malformedAt(r.text, i, "control character in a string (a line break inside quotes?)")
		}
		i++
	}
	return nil, malformedAt(r.text, start, "unterminated string")
}

func (r *jsonReader) number() (*node, error) {
	start := r.pos
	for r.pos < len(r.text) && strings.IndexByte("+-0123456789.eE", r.text[r.pos]) >= 0 {
		r.pos++
	}
	lit := r.text[start:r.pos]
	if !json.Valid([]byte(lit)) {
		return nil, malformedAt(r.text, start, "invalid number %q", lit)
	}
	return &node{kind: 'n', start: start, end: r.pos, str: lit}, nil
}
