package main

import (
	"strconv"
	"strings"
	"unicode/utf8"
)

// writeJSON renders v as Python's json.dump(v, indent=4, ensure_ascii=False)
// followed by a newline, which is the AWS CLI's json output.
func writeJSON(b *strings.Builder, v any) {
	jsonValue(b, v, 0)
	b.WriteByte('\n')
}

func jsonValue(b *strings.Builder, v any, depth int) {
	switch x := v.(type) {
	case nil:
		b.WriteString("null")
	case bool:
		if x {
			b.WriteString("true")
		} else {
			b.WriteString("false")
		}
	case float64:
		b.WriteString(pyNumber(x))
	case string:
		jsonString(b, x)
	case pyDatetime:
		jsonString(b, string(x))
	case []any:
		if len(x) == 0 {
			b.WriteString("[]")
			return
		}
		b.WriteString("[")
		for i, e := range x {
			if i > 0 {
				b.WriteString(",")
			}
			b.WriteString("\n")
			indent(b, depth+1)
			jsonValue(b, e, depth+1)
		}
		b.WriteString("\n")
		indent(b, depth)
		b.WriteString("]")
	case *object:
		if x.len() == 0 {
			b.WriteString("{}")
			return
		}
		b.WriteString("{")
		for i, k := range x.keys {
			if i > 0 {
				b.WriteString(",")
			}
			b.WriteString("\n")
			indent(b, depth+1)
			jsonString(b, k)
			b.WriteString(": ")
			jsonValue(b, x.vals[k], depth+1)
		}
		b.WriteString("\n")
		indent(b, depth)
		b.WriteString("}")
	}
}

func indent(b *strings.Builder, depth int) {
	for i := 0; i < depth; i++ {
		b.WriteString("    ")
	}
}

// jsonString escapes as Python's json module with ensure_ascii=False: the
// two-character escapes for \" \\ \n \r \t \b \f, \u00XX for the other
// control characters, everything else (including non-ASCII) as is.
func jsonString(b *strings.Builder, s string) {
	b.WriteByte('"')
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == '"':
			b.WriteString(`\"`)
		case r == '\\':
			b.WriteString(`\\`)
		case r == '\n':
			b.WriteString(`\n`)
		case r == '\r':
			b.WriteString(`\r`)
		case r == '\t':
			b.WriteString(`\t`)
		case r == '\b':
			b.WriteString(`\b`)
		case r == '\f':
			b.WriteString(`\f`)
		case r < 0x20:
			b.WriteString(`\u00`)
			h := strconv.FormatInt(int64(r), 16)
			if len(h) < 2 {
				h = "0" + h
			}
			b.WriteString(h)
		default:
			b.WriteString(s[i : i+size])
		}
		i += size
	}
	b.WriteByte('"')
}
