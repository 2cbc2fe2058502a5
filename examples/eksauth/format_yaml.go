package main

import (
	"regexp"
	"strings"
	"unicode"
)

// writeYAML renders v as the AWS CLI v2's yaml output (ruamel.yaml's safe
// dumper in block style): keys sorted (the safe representer sorts every
// mapping, so members are not in the API's order as in json), two-space
// mapping indent, sequences not indented below their key, strings quoted
// only when they would otherwise read back as another type or break the
// syntax. A scalar alone is written as JSON, as the AWS CLI v2 does to
// avoid YAML's "..." document end marker.
func writeYAML(b *strings.Builder, v any) {
	switch x := v.(type) {
	case *object:
		if x.len() == 0 {
			b.WriteString("{}\n")
			return
		}
		yamlMapping(b, x, 0)
	case []any:
		if len(x) == 0 {
			b.WriteString("[]\n")
			return
		}
		yamlSequence(b, x, 0)
	default:
		writeJSON(b, v)
	}
}

// writeYAMLStream renders v as yaml-stream output: the AWS CLI streams each
// response (page) as an item of one YAML list, so the single response of
// this operation is a list of one.
func writeYAMLStream(b *strings.Builder, v any) { writeYAML(b, []any{v}) }

func yamlMapping(b *strings.Builder, o *object, ind int) {
	for i, k := range o.sortedKeys() {
		if i > 0 {
			b.WriteString(strings.Repeat(" ", ind))
		}
		key, _ := yamlScalar(k)
		b.WriteString(key)
		b.WriteByte(':')
		yamlChild(b, o.vals[k], ind, true)
	}
}

func yamlSequence(b *strings.Builder, list []any, ind int) {
	for i, e := range list {
		if i > 0 {
			b.WriteString(strings.Repeat(" ", ind))
		}
		b.WriteString("-")
		yamlChild(b, e, ind, false)
	}
}

// yamlChild writes a value after "key:" or "-". Under a key a non-empty
// mapping goes on the next lines indented by two and a sequence on the next
// lines at the key's own indent; after "-" both start on the same line.
func yamlChild(b *strings.Builder, v any, ind int, underKey bool) {
	switch x := v.(type) {
	case *object:
		if x.len() == 0 {
			b.WriteString(" {}\n")
			return
		}
		if underKey {
			b.WriteByte('\n')
			b.WriteString(strings.Repeat(" ", ind+2))
		} else {
			b.WriteByte(' ')
		}
		yamlMapping(b, x, ind+2)
	case []any:
		if len(x) == 0 {
			b.WriteString(" []\n")
			return
		}
		if underKey {
			b.WriteByte('\n')
			b.WriteString(strings.Repeat(" ", ind))
			yamlSequence(b, x, ind)
		} else {
			b.WriteByte(' ')
			yamlSequence(b, x, ind+2)
		}
	default:
		s, _ := yamlScalar(v)
		b.WriteByte(' ')
		b.WriteString(s)
		b.WriteByte('\n')
	}
}

// The implicit types of the YAML 1.2 resolver of ruamel.yaml: a string that
// matches one of them must be quoted to stay a string.
var yamlImplicit = []*regexp.Regexp{
	regexp.MustCompile(`^(?:true|True|TRUE|false|False|FALSE)$`),
	regexp.MustCompile(`^(?:~|null|Null|NULL)$`),
	regexp.MustCompile(`^[-+]?[0-9_]+$`),
	regexp.MustCompile(`^[-+]?0b[0-1_]+$`),
	regexp.MustCompile(`^[-+]?0o?[0-7_]+$`),
	regexp.MustCompile(`^[-+]?0x[0-9a-fA-F_]+$`),
	regexp.MustCompile(`^[-+]?(?:\.[0-9]+|[0-9][0-9_]*)(?:\.[0-9_]*)?(?:[eE][-+]?[0-9]+)?$`),
	regexp.MustCompile(`^(?:[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN))$`),
	regexp.MustCompile(`^[0-9][0-9][0-9][0-9]-[0-9][0-9]?-[0-9][0-9]?(?:(?:[Tt]|[ \t]+)[0-9][0-9]?:[0-9][0-9]:[0-9][0-9](?:\.[0-9]*)?(?:[ \t]*(?:Z|[-+][0-9][0-9]?(?::[0-9][0-9])?))?)?$`),
	regexp.MustCompile(`^(?:<<|=)$`),
}

// yamlScalar returns the text of a scalar inside a mapping or sequence and
// whether it is plain.
func yamlScalar(v any) (string, bool) {
	switch x := v.(type) {
	case nil:
		return "null", true
	case bool:
		if x {
			return "true", true
		}
		return "false", true
	case float64:
		return yamlNumber(x), true
	case string:
		return yamlString(x)
	case pyDatetime:
		return x.str(), true
	}
	return "", true
}

func yamlNumber(f float64) string {
	s := pyNumber(f)
	switch s {
	case "Infinity":
		return ".inf"
	case "-Infinity":
		return "-.inf"
	case "NaN":
		return ".nan"
	}
	return s
}

func yamlString(s string) (string, bool) {
	if s == "" {
		return "''", false
	}
	for _, re := range yamlImplicit {
		if re.MatchString(s) {
			return singleQuoted(s), false
		}
	}
	if plainOK(s) {
		return s, true
	}
	if printableOneLine(s) {
		return singleQuoted(s), false
	}
	return doubleQuoted(s), false
}

// plainOK follows the emitter's analysis of a scalar for the plain style in
// block context.
func plainOK(s string) bool {
	if strings.HasPrefix(s, "---") || strings.HasPrefix(s, "...") {
		return false
	}
	if s[0] == ' ' || s[len(s)-1] == ' ' {
		return false
	}
	if strings.ContainsRune("#,[]{}&*!|>'\"%@`", rune(s[0])) {
		return false
	}
	if strings.ContainsRune("-?:", rune(s[0])) && (len(s) == 1 || s[1] == ' ') {
		return false
	}
	for i, r := range s {
		switch {
		case r == '\n' || r == '\r' || r == '\t':
			return false
		case !unicode.IsPrint(r):
			return false
		case r == ':' && (i+1 == len(s) || s[i+1] == ' '):
			return false
		case r == '#' && i > 0 && s[i-1] == ' ':
			return false
		}
	}
	return true
}

// printableOneLine reports whether s can be single-quoted: the emitter's
// "special characters" (controls, tab included) need double quotes.
func printableOneLine(s string) bool {
	for _, r := range s {
		if r < 0x20 || !unicode.IsPrint(r) {
			return false
		}
	}
	return true
}

func singleQuoted(s string) string {
	return "'" + strings.ReplaceAll(s, "'", "''") + "'"
}

func doubleQuoted(s string) string {
	var b strings.Builder
	b.WriteByte('"')
	for _, r := range s {
		switch r {
		case '"':
			b.WriteString(`\"`)
		case '\\':
			b.WriteString(`\\`)
		case '\n':
			b.WriteString(`\n`)
		case '\r':
			b.WriteString(`\r`)
		case '\t':
			b.WriteString(`\t`)
		case 0:
			b.WriteString(`\0`)
		default:
			if r < 0x20 || r == 0x7f {
				b.WriteString(`\x`)
				h := "0123456789ABCDEF"
				b.WriteByte(h[r>>4])
				b.WriteByte(h[r&15])
			} else {
				b.WriteRune(r)
			}
		}
	}
	b.WriteByte('"')
	return b.String()
}
