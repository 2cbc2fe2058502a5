package main

import (
	"fmt"
	"strings"
	"testing"
	"time"
)

func TestIsoTime(t *testing.T) {
	cases := map[string]struct {
		in   time.Time
		want string
	}{
		"whole seconds":  {time.Date(2026, 11, 28, 23, 59, 59, 0, time.UTC), "2026-11-28T23:59:59+00:00"},
		"microseconds":   {time.Date(2026, 11, 28, 23, 59, 59, 500000000, time.UTC), "2026-11-28T23:59:59.500000+00:00"},
		"other location": {time.Date(2026, 11, 29, 1, 0, 0, 0, time.FixedZone("x", 3600)), "2026-11-29T00:00:00+00:00"},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			if got := isoTime(tc.in); got != tc.want {
				t.Errorf("got %q, want %q", got, tc.want)
			}
		})
	}
}

// TestPyNumber: numbers print as Python prints the int or float that
// json.loads would make of them.
func TestPyNumber(t *testing.T) {
	cases := map[float64]string{
		0: "0", 3: "3", -7: "-7", 1.5: "1.5", 0.1: "0.1", 1e16: "1e+16",
		1.5e-5: "1.5e-05", 123456.789: "123456.789", 1e100: "1e+100",
	}
	for in, want := range cases {
		if got := pyNumber(in); got != want {
			t.Errorf("pyNumber(%v) = %q, want %q", in, got, want)
		}
	}
}

func TestJSONString(t *testing.T) {
	cases := map[string]string{
		"plain":      `"plain"`,
		"q\"b\\s/":   `"q\"b\\s/"`,
		"\n\r\t\b\f": `"\n\r\t\b\f"`,
		"\x01\x1f":   `"\u0001\u001f"`,
		"é中文<>&":     `"é中文<>&"`,
		"\u2028":     "\"\u2028\"",
	}
	for in, want := range cases {
		var b strings.Builder
		jsonString(&b, in)
		if got := b.String(); got != want {
			t.Errorf("jsonString(%q) = %s, want %s", in, got, want)
		}
	}
}

// TestYAMLScalars: strings are quoted exactly when a YAML reader would
// otherwise take them for another type or misparse them.
func TestYAMLScalars(t *testing.T) {
	cases := map[string]string{
		"":                          "''",
		"plain":                     "plain",
		"arn:aws:iam::1:role/x":     "arn:aws:iam::1:role/x",
		"IQo/+==":                   "IQo/+==",
		"true":                      "'true'",
		"Null":                      "'Null'",
		"~":                         "'~'",
		"123":                       "'123'",
		"-1.5e3":                    "'-1.5e3'",
		"0x1F":                      "'0x1F'",
		".inf":                      "'.inf'",
		"2026-11-28T23:59:59+00:00": "'2026-11-28T23:59:59+00:00'",
		"2026-11-28":                "'2026-11-28'",
		"yes":                       "yes",
		"a: b":                      "'a: b'",
		"a:":                        "'a:'",
		"a #b":                      "'a #b'",
		"a#b":                       "a#b",
		"#x":                        "'#x'",
		"- x":                       "'- x'",
		"-x":                        "-x",
		"it's":                      "it's",
		"'q'":                       "'''q'''",
		" lead":                     "' lead'",
		"line\nbreak":               `"line\nbreak"`,
		"tab\there":                 `"tab\there"`, // a tab is special: double quotes (AWS CLI v2)
		"---":                       "'---'",
		"*alias":                    "'*alias'",
	}
	for in, want := range cases {
		if got, _ := yamlString(in); got != want {
			t.Errorf("yamlString(%q) = %s, want %s", in, got, want)
		}
	}
}

func TestYAMLShapes(t *testing.T) {
	list := func(v ...any) []any { return v }
	obj := func(kv ...any) *object {
		o := newObject()
		for i := 0; i < len(kv); i += 2 {
			o.set(kv[i].(string), kv[i+1])
		}
		return o
	}
	cases := map[string]struct {
		in   any
		want string
	}{
		// A scalar alone is JSON (the AWS CLI v2 avoids YAML's "...").
		"scalar document":      {"abc", "\"abc\"\n"},
		"quoted document":      {"", "\"\"\n"},
		"number document":      {float64(3), "3\n"},
		"null document":        {nil, "null\n"},
		"empty object":         {newObject(), "{}\n"},
		"empty list":           {list(), "[]\n"},
		"nested":               {obj("a", obj("b", "c"), "l", list("x", "y"), "e", list(), "o", newObject(), "n", nil), "a:\n  b: c\ne: []\nl:\n- x\n- y\nn: null\no: {}\n"}, // keys sorted
		"sorted by code point": {obj("b", float64(1), "B", float64(2), "é", float64(3), "a", float64(4)), "B: 2\na: 4\nb: 1\né: 3\n"},
		"list of objects":      {list(obj("a", float64(1), "b", float64(2))), "- a: 1\n  b: 2\n"},
		"list of lists":        {list(list(float64(1), float64(2)), list(float64(3))), "- - 1\n  - 2\n- - 3\n"},
		"object in object":     {obj("x", obj("y", obj("z", true))), "x:\n  y:\n    z: true\n"},
		"list under nested":    {obj("x", obj("l", list("a"))), "x:\n  l:\n  - a\n"},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			var b strings.Builder
			writeYAML(&b, tc.in)
			if got := b.String(); got != tc.want {
				t.Errorf("got:\n%s\nwant:\n%s", got, tc.want)
			}
		})
	}
}

// TestQueryKeyOrder: objects a query builds keep the expression's order;
// objects taken from the response keep the API's.
func TestQueryKeyOrder(t *testing.T) {
	q, err := compileQuery("{z: credentials.accessKeyId, a: audience, c: credentials}")
	if err != nil {
		t.Fatal(err)
	}
	in := newObject()
	in.set("audience", "aud")
	c := newObject()
	for _, k := range []string{"sessionToken", "secretAccessKey", "accessKeyId", "expiration"} {
		c.set(k, k)
	}
	in.set("credentials", c)
	got, err := q.search(in)
	if err != nil {
		t.Fatal(err)
	}
	o := got.(*object)
	if strings.Join(o.keys, ",") != "z,a,c" {
		t.Errorf("keys %v, want z,a,c", o.keys)
	}
	inner := o.vals["c"].(*object)
	if strings.Join(inner.keys, ",") != "sessionToken,secretAccessKey,accessKeyId,expiration" {
		t.Errorf("credentials keys %v, want the API's order", inner.keys)
	}
}

// TestQueryErrorText: compile and evaluation errors of --query read as
// Python's jmespath 1.0.1 words them (the messages below are what it
// printed), except that a value is never shown.
func TestQueryErrorText(t *testing.T) {
	compile := map[string]string{
		"subject.[": "Invalid jmespath expression: Incomplete expression:\n\"subject.[\"\n          ^",
		"a ==":      "Invalid jmespath expression: Incomplete expression:\n\"a ==\"\n     ^",
		"{a: b":     "Invalid jmespath expression: Incomplete expression:\n\"{a: b\"\n      ^",
		"subject]":  "Unexpected token: ]: Parse error at column 7, token \"]\" (RBRACKET), for expression:\n\"subject]\"\n        ^",
		"foo bar":   "Unexpected token: bar: Parse error at column 4, token \"bar\" (UNQUOTED_IDENTIFIER), for expression:\n\"foo bar\"\n     ^",
		"`bad":      "Bad jmespath expression: Unclosed ` delimiter:\n`bad\n^",
		"'abc":      "Bad jmespath expression: Unclosed ' delimiter:\n'abc\n^",
		"a.~":       "Bad jmespath expression: Unknown token ~:\na.~\n  ^",
		// Python: "Expecting: ['quoted_identifier', ...], got: number: Parse error ..."
		"a.1": "Unexpected token: 1: Parse error at column 2, token \"1\" (NUMBER), for expression:\n\"a.1\"\n   ^",
		"":    "Invalid JMESPath expression: cannot be empty.",
		// The library's extensions, which Python's lexer has no token for.
		"`1` + `2`":        "Bad jmespath expression: Unknown token +:\n`1` + `2`\n    ^",
		"a - a":            "Bad jmespath expression: Unknown token '-':\na - a\n  ^",
		"let $x = a in $x": "Bad jmespath expression: Unknown token $:\nlet $x = a in $x\n    ^",
		"[?a == '+'] | $":  "Bad jmespath expression: Unknown token $:\n[?a == '+'] | $\n              ^",
	}
	for expr, want := range compile {
		_, err := compileQuery(expr)
		if err == nil || err.Error() != "Bad value for --query "+expr+": "+want {
			t.Errorf("compile %q:\n%v\nwant:\n%s", expr, err, want)
		}
	}
	data := newObject()
	data.set("a", "str")
	data.set("n", float64(1))
	search := map[string]string{
		"nope(a)": "Unknown function: nope()",
		// Not in the specification; it would allocate 1e18 bytes.
		"pad_right(a, `1000000000000000000`)": "Unknown function: pad_right()",
		"length(a, n)":                        "Expected 1 argument for function length(), received 2",
		"length()":                            "Expected 1 argument for function length(), received 0",
		"not_null()":                          "Expected at least 1 argument for function not_null(), received 0",
		// Python: ... invalid type for value: 1, ..., received: "number"
		"length(n)": "In function length(), invalid type for value: <not shown>, expected one of: ['string', 'array', 'object']",
		"abs(a)":    "In function abs(), invalid type for value: <not shown>, expected one of: ['number']",
	}
	for expr, want := range search {
		q, err := compileQuery(expr)
		if err != nil {
			t.Fatalf("compile %q: %v", expr, err)
		}
		_, err = q.search(data)
		if err == nil {
			t.Fatalf("search %q: no error", expr)
		}
		if got := q.queryErrorText(err, data); got != want {
			t.Errorf("search %q:\n%s\nwant:\n%s", expr, got, want)
		}
	}
}

// TestQueryObjectOrder: value projections, keys() and values() follow the
// order of the object's keys, as Python's dicts do, every time (the
// JMESPath library ranges over Go maps).
func TestQueryObjectOrder(t *testing.T) {
	data := newObject()
	sub := newObject()
	for _, k := range []string{"z", "namespace", "a", "serviceAccount", "m"} {
		sub.set(k, k+"-value")
	}
	data.set("subject", sub)
	cases := map[string]string{
		"subject.*":                      "z-value namespace-value a-value serviceAccount-value m-value",
		"values(subject)":                "z-value namespace-value a-value serviceAccount-value m-value",
		"keys(subject)":                  "z namespace a serviceAccount m",
		"keys(`{}`)":                     "",
		"{b: subject.a, a: subject.z}.*": "a-value z-value", // built by the query: the expression's order
		"audience.*":                     "<nil>",
	}
	for expr, want := range cases {
		q, err := compileQuery(expr)
		if err != nil {
			t.Fatal(err)
		}
		for i := 0; i < 20; i++ {
			got, err := q.search(data)
			if err != nil {
				t.Fatalf("%s: %v", expr, err)
			}
			var parts []string
			if l, ok := got.([]any); ok {
				for _, e := range l {
					parts = append(parts, pyStr(e))
				}
			} else {
				parts = append(parts, fmt.Sprint(got))
			}
			if s := strings.Join(parts, " "); s != want {
				t.Fatalf("%s (run %d) = %q, want %q", expr, i, s, want)
			}
		}
	}
}
