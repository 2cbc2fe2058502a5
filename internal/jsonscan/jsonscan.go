// Package jsonscan reads the few JSON shapes of the EKS Auth API without
// reflection: it validates a document as encoding/json does and hands out
// the raw members of objects, so that a decoder can apply the official
// client's rules (exact member names, the last duplicate wins, null means
// absent) with almost no allocations. Strings with escapes or non-ASCII
// bytes are unquoted by encoding/json itself, so their meaning is the same.
package jsonscan

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
)

// Kind is the type of a JSON value, named by its first byte.
type Kind byte

// The kinds of JSON values.
const (
	Object Kind = '{'
	Array  Kind = '['
	String Kind = '"'
	Number Kind = '0'
	True   Kind = 't'
	False  Kind = 'f'
	Null   Kind = 'n'
)

// Value is a validated JSON value: its kind and its raw bytes.
type Value struct {
	Kind Kind
	Raw  []byte
}

// SyntaxError reports invalid JSON at byte Offset.
type SyntaxError struct {
	Msg    string
	Offset int
}

func (e *SyntaxError) Error() string { return e.Msg }

// ErrEmpty reports a document with no value at all (only whitespace).
var ErrEmpty = errors.New("jsonscan: empty document")

// First returns the first JSON value of doc and ignores what follows, as a
// json.Decoder's first Decode does. A doc of only whitespace is ErrEmpty.
func First(doc []byte) (Value, error) {
	s := scanner{b: doc}
	s.skipSpace()
	if s.i == len(s.b) {
		return Value{}, ErrEmpty
	}
	start := s.i
	k, err := s.value(0)
	if err != nil {
		return Value{}, err
	}
	return Value{Kind: k, Raw: doc[start:s.i]}, nil
}

// Members calls fn for each member of the object v, in order. v must come
// from First (or from Members), so it is valid. A member name with escapes
// or non-ASCII bytes is unquoted; others are passed without copying.
func Members(v Value, fn func(name []byte, value Value)) {
	s := scanner{b: v.Raw, i: 1}
	for {
		s.skipSpace()
		if s.b[s.i] == '}' {
			return
		}
		if s.b[s.i] == ',' {
			s.i++
			s.skipSpace()
		}
		start := s.i
		s.skipValid()
		name := s.b[start:s.i]
		s.skipSpace()
		s.i++ // ':'
		s.skipSpace()
		vstart := s.i
		k := Kind(s.b[s.i])
		if k == '-' || '0' <= k && k <= '9' {
			k = Number
		}
		s.skipValid()
		fn(unquoteName(name), Value{Kind: k, Raw: s.b[vstart:s.i]})
	}
}

func unquoteName(raw []byte) []byte {
	if plain(raw) {
		return raw[1 : len(raw)-1]
	}
	var s string
	json.Unmarshal(raw, &s)
	return []byte(s)
}

// Str returns the string value v, which must be of kind String.
func Str(v Value) string {
	if plain(v.Raw) {
		return string(v.Raw[1 : len(v.Raw)-1])
	}
	var s string
	json.Unmarshal(v.Raw, &s) // cannot fail: v is a valid string
	return s
}

// plain reports whether the quoted string raw has no escapes and only
// ASCII, so that its bytes are its value.
func plain(raw []byte) bool {
	for _, c := range raw[1 : len(raw)-1] {
		if c == '\\' || c >= 0x80 {
			return false
		}
	}
	return true
}

// skipValid moves past the value at s.i, which is known to be valid, without
// checking it again.
func (s *scanner) skipValid() {
	depth := 0
	for s.i < len(s.b) {
		switch c := s.b[s.i]; c {
		case '"':
			s.i++
			for {
				j := bytes.IndexByte(s.b[s.i:], '"')
				s.i += j + 1
				if !escaped(s.b, s.i-1) {
					break
				}
			}
		case '{', '[':
			depth++
			s.i++
		case '}', ']':
			if depth == 0 {
				return // the end of the enclosing object or array
			}
			depth--
			s.i++
		case ',', ':', ' ', '\t', '\n', '\r':
			if depth == 0 {
				return
			}
			s.i++
		default:
			s.i++
		}
		if depth == 0 {
			// A scalar ends at a delimiter; a string, object or array
			// has just ended.
			if c := s.b[s.i-1]; c == '"' || c == '}' || c == ']' {
				return
			}
		}
	}
}

// escaped reports whether the quote at b[i] is escaped by an odd number of
// backslashes.
func escaped(b []byte, i int) bool {
	n := 0
	for i--; i >= 0 && b[i] == '\\'; i-- {
		n++
	}
	return n%2 == 1
}

// maxDepth is encoding/json's nesting limit.
const maxDepth = 10000

type scanner struct {
	b []byte
	i int
}

func (s *scanner) skipSpace() {
	for s.i < len(s.b) {
		switch s.b[s.i] {
		case ' ', '\t', '\n', '\r':
			s.i++
		default:
			return
		}
	}
}

func (s *scanner) errorf(format string, v ...any) error {
	return &SyntaxError{Msg: fmt.Sprintf(format, v...), Offset: s.i}
}

// eof reports a truncated value as a json.Decoder does.
func (s *scanner) eof() error { return io.ErrUnexpectedEOF }

// value validates the value at s.i and moves past it.
func (s *scanner) value(depth int) (Kind, error) {
	if s.i >= len(s.b) {
		return 0, s.eof()
	}
	switch c := s.b[s.i]; {
	case c == '{':
		return Object, s.object(depth + 1)
	case c == '[':
		return Array, s.array(depth + 1)
	case c == '"':
		return String, s.str()
	case c == '-' || '0' <= c && c <= '9':
		return Number, s.number()
	case c == 't':
		return True, s.literal("true")
	case c == 'f':
		return False, s.literal("false")
	case c == 'n':
		return Null, s.literal("null")
	default:
		return 0, s.errorf("invalid character %q looking for beginning of value", c)
	}
}

func (s *scanner) object(depth int) error {
	if depth > maxDepth {
		return s.errorf("exceeded max depth")
	}
	s.i++ // '{'
	s.skipSpace()
	if s.i < len(s.b) && s.b[s.i] == '}' {
		s.i++
		return nil
	}
	for {
		s.skipSpace()
		if s.i >= len(s.b) {
			return s.eof()
		}
		if s.b[s.i] != '"' {
			return s.errorf("invalid character %q looking for beginning of object key string", s.b[s.i])
		}
		if err := s.str(); err != nil {
			return err
		}
		s.skipSpace()
		if s.i >= len(s.b) {
			return s.eof()
		}
		if s.b[s.i] != ':' {
			return s.errorf("invalid character %q after object key", s.b[s.i])
		}
		s.i++
		s.skipSpace()
		if _, err := s.value(depth); err != nil {
			return err
		}
		s.skipSpace()
		if s.i >= len(s.b) {
			return s.eof()
		}
		switch s.b[s.i] {
		case ',':
			s.i++
		case '}':
			s.i++
			return nil
		default:
			return s.errorf("invalid character %q after object key:value pair", s.b[s.i])
		}
	}
}

func (s *scanner) array(depth int) error {
	if depth > maxDepth {
		return s.errorf("exceeded max depth")
	}
	s.i++ // '['
	s.skipSpace()
	if s.i < len(s.b) && s.b[s.i] == ']' {
		s.i++
		return nil
	}
	for {
		s.skipSpace()
		if _, err := s.value(depth); err != nil {
			return err
		}
		s.skipSpace()
		if s.i >= len(s.b) {
			return s.eof()
		}
		switch s.b[s.i] {
		case ',':
			s.i++
		case ']':
			s.i++
			return nil
		default:
			return s.errorf("invalid character %q after array element", s.b[s.i])
		}
	}
}

func (s *scanner) str() error {
	s.i++ // '"'
	for s.i < len(s.b) {
		// Most bytes need no decision: skip them in a tight loop.
		for s.i < len(s.b) && plainByte[s.b[s.i]] {
			s.i++
		}
		if s.i >= len(s.b) {
			break
		}
		c := s.b[s.i]
		switch {
		case c == '"':
			s.i++
			return nil
		case c < 0x20:
			return s.errorf("invalid character %q in string literal", c)
		case c == '\\':
			s.i++
			if s.i >= len(s.b) {
				return s.eof()
			}
			switch s.b[s.i] {
			case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
				s.i++
			case 'u':
				s.i++
				for n := 0; n < 4; n++ {
					if s.i >= len(s.b) {
						return s.eof()
					}
					if !isHex(s.b[s.i]) {
						return s.errorf("invalid character %q in \\u hexadecimal character escape", s.b[s.i])
					}
					s.i++
				}
			default:
				return s.errorf("invalid character %q in string escape code", s.b[s.i])
			}
		default:
			s.i++
		}
	}
	return s.eof()
}

// plainByte marks the bytes that stand for themselves inside a string.
var plainByte = func() (t [256]bool) {
	for c := 0x20; c < 256; c++ {
		t[c] = c != '"' && c != '\\'
	}
	return t
}()

func isHex(c byte) bool {
	return '0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F'
}

func isDigit(c byte) bool { return '0' <= c && c <= '9' }

// number validates -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?
func (s *scanner) number() error {
	if s.b[s.i] == '-' {
		s.i++
		if s.i >= len(s.b) {
			return s.eof()
		}
	}
	switch c := s.b[s.i]; {
	case c == '0':
		s.i++
	case '1' <= c && c <= '9':
		for s.i < len(s.b) && isDigit(s.b[s.i]) {
			s.i++
		}
	default:
		return s.errorf("invalid character %q in numeric literal", c)
	}
	if s.i < len(s.b) && s.b[s.i] == '.' {
		s.i++
		if s.i >= len(s.b) {
			return s.eof()
		}
		if !isDigit(s.b[s.i]) {
			return s.errorf("invalid character %q after decimal point in numeric literal", s.b[s.i])
		}
		for s.i < len(s.b) && isDigit(s.b[s.i]) {
			s.i++
		}
	}
	if s.i < len(s.b) && (s.b[s.i] == 'e' || s.b[s.i] == 'E') {
		s.i++
		if s.i < len(s.b) && (s.b[s.i] == '+' || s.b[s.i] == '-') {
			s.i++
		}
		if s.i >= len(s.b) {
			return s.eof()
		}
		if !isDigit(s.b[s.i]) {
			return s.errorf("invalid character %q in exponent of numeric literal", s.b[s.i])
		}
		for s.i < len(s.b) && isDigit(s.b[s.i]) {
			s.i++
		}
	}
	return nil
}

func (s *scanner) literal(word string) error {
	for j := 0; j < len(word); j++ {
		if s.i >= len(s.b) {
			return s.eof()
		}
		if s.b[s.i] != word[j] {
			return s.errorf("invalid character %q in literal %s (expecting %q)", s.b[s.i], word, word[j])
		}
		s.i++
	}
	return nil
}
