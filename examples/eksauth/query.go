package main

import (
	"errors"
	"fmt"
	"reflect"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/jmespath-community/go-jmespath/pkg/functions"
	"github.com/jmespath-community/go-jmespath/pkg/interpreter"
	"github.com/jmespath-community/go-jmespath/pkg/parsing"
)

// query is a compiled --query expression.
type query struct {
	ast parsing.ASTNode
	// keyRank orders the keys of the objects a query builds ({a: x, b: y}):
	// the library returns Go maps, which have no order, while the AWS CLI
	// prints them in the order the expression names them.
	keyRank map[string]int
	// funcs lists the functions the expression calls, to name the one an
	// evaluation error comes from (the library's messages do not).
	funcs []string
}

// compileQuery parses expr, reporting errors the way the AWS CLI does.
func compileQuery(expr string) (*query, error) {
	ast, err := parsing.NewParser().Parse(expr)
	if err != nil {
		// A ParamValidationError in the AWS CLI v2: exit status 252.
		return nil, &cliError{code: exitUsage, msg: fmt.Sprintf("Bad value for --query %s: %s", expr, syntaxErrorText(expr, err))}
	}
	if extension(ast) {
		return nil, &cliError{code: exitUsage, msg: fmt.Sprintf("Bad value for --query %s: %s", expr, extensionErrorText(expr))}
	}
	q := &query{keyRank: map[string]int{}}
	q.collectKeys(ast)
	q.ast = orderedProjections(ast)
	return q, nil
}

// extension reports whether n uses syntax that the JMESPath library
// accepts beyond the specification (arithmetic, let, $), which Python's
// jmespath, and so the AWS CLI, refuses.
func extension(n parsing.ASTNode) bool {
	switch n.NodeType {
	case parsing.ASTArithmeticExpression, parsing.ASTArithmeticUnaryExpression, parsing.ASTLetExpression,
		parsing.ASTVariable, parsing.ASTBindings, parsing.ASTBinding, parsing.ASTRootNode:
		return true
	}
	return slices.ContainsFunc(n.Children, extension)
}

// extensionErrorText words the refusal of an extension as Python's lexer
// does: the first character outside quotes that it has no token for.
func extensionErrorText(expr string) string {
	var quote rune
	for i, r := range expr {
		switch {
		case quote != 0:
			if r == quote {
				quote = 0
			}
		case r == '"' || r == '\'' || r == '`':
			quote = r
		case strings.ContainsRune("+$%/÷×−", r), r == '-' && (i+1 == len(expr) || expr[i+1] < '0' || expr[i+1] > '9'):
			tok := string(r)
			if r == '-' { // a lexer branch of its own, which quotes it
				tok = "'-'"
			}
			return fmt.Sprintf("Bad jmespath expression: Unknown token %s:\n%s\n%s^", tok, expr, strings.Repeat(" ", utf8.RuneCountInString(expr[:i])))
		}
	}
	return "Bad jmespath expression: syntax beyond the JMESPath specification"
}

// specFunctions are the built-in functions of the JMESPath specification,
// all that Python's jmespath has: the library's others (pad_left, split,
// items, ...) are unknown functions there, and some of them allocate
// whatever length they are given.
var specFunctions = []string{"abs", "avg", "ceil", "contains", "ends_with", "floor", "join", "keys", "length", "map", "max",
	"max_by", "merge", "min", "min_by", "not_null", "reverse", "sort", "sort_by", "starts_with", "sum", "to_array",
	"to_number", "to_string", "type", "values"}

// orderedValues is the function that takes the place of value projections
// (foo.*): its name cannot be written in an expression.
const orderedValues = "eksauth ordered values"

// orderedProjections rewrites each value projection into a projection of
// the object's values in order: the library ranges over a Go map, so
// `subject.*` would print namespace and service account in random order,
// where Python's dicts keep the API's.
func orderedProjections(n parsing.ASTNode) parsing.ASTNode {
	children := make([]parsing.ASTNode, len(n.Children))
	for i, c := range n.Children {
		children[i] = orderedProjections(c)
	}
	n.Children = children
	if n.NodeType == parsing.ASTValueProjection && len(children) == 2 {
		values := parsing.ASTNode{NodeType: parsing.ASTFunctionExpression, Value: orderedValues, Children: children[:1]}
		return parsing.ASTNode{NodeType: parsing.ASTProjection, Children: []parsing.ASTNode{values, children[1]}}
	}
	return n
}

func (q *query) collectKeys(n parsing.ASTNode) {
	if n.NodeType == parsing.ASTFunctionExpression {
		if f, ok := n.Value.(string); ok && !slices.Contains(q.funcs, f) {
			q.funcs = append(q.funcs, f)
		}
	}
	if n.NodeType == parsing.ASTKeyValPair {
		if k, ok := n.Value.(string); ok {
			if _, seen := q.keyRank[k]; !seen {
				q.keyRank[k] = len(q.keyRank)
			}
		}
	}
	for _, c := range n.Children {
		q.collectKeys(c)
	}
}

// search applies the query to v and returns the result in the value model.
func (q *query) search(v any) (any, error) {
	order := keyOrder{}
	data := order.toPlain(v)
	funcs := slices.DeleteFunc(functions.GetDefaultFunctions(), func(f functions.FunctionEntry) bool {
		return !slices.Contains(specFunctions, f.Name)
	})
	funcs = append(funcs,
		// keys() and values() in the order of the object's keys, as
		// Python's; the library's range over the map.
		functions.FunctionEntry{Name: "keys", Arguments: []functions.ArgSpec{{Types: []functions.JpType{functions.JpObject}}},
			Handler: func(args []any) (any, error) {
				m := args[0].(map[string]any)
				out := []any{}
				for _, k := range order.keys(q, m) {
					out = append(out, k)
				}
				return out, nil
			}},
		functions.FunctionEntry{Name: "values", Arguments: []functions.ArgSpec{{Types: []functions.JpType{functions.JpObject}}},
			Handler: func(args []any) (any, error) { return order.values(q, args[0].(map[string]any)), nil }},
		// A value projection of anything but an object is null, never an
		// error: no argument types.
		functions.FunctionEntry{Name: orderedValues, Handler: func(args []any) (any, error) {
			if m, ok := args[0].(map[string]any); ok {
				return order.values(q, m), nil
			}
			return nil, nil
		}},
	)
	got, err := interpreter.NewInterpreter(data, interpreter.NewFunctionCaller(funcs...), nil).Execute(q.ast, data)
	if err != nil {
		return nil, err
	}
	return q.fromPlain(got), nil
}

// keyOrder remembers the key order of the maps toPlain builds, by map.
type keyOrder map[uintptr][]string

// toPlain converts the value model to what the JMESPath library walks.
func (ko keyOrder) toPlain(v any) any {
	switch x := v.(type) {
	case *object:
		m := make(map[string]any, x.len())
		for _, k := range x.keys {
			m[k] = ko.toPlain(x.vals[k])
		}
		ko[reflect.ValueOf(m).Pointer()] = x.keys
		return m
	case []any:
		out := make([]any, len(x))
		for i, e := range x {
			out[i] = ko.toPlain(e)
		}
		return out
	}
	return v
}

// keys returns the keys of m in order: the answer's order for a map of
// the answer, else (a map the query built) as fromPlain orders them.
func (ko keyOrder) keys(q *query, m map[string]any) []string {
	if ks, ok := ko[reflect.ValueOf(m).Pointer()]; ok && len(ks) == len(m) {
		return ks
	}
	ks := make([]string, 0, len(m))
	for k := range m {
		ks = append(ks, k)
	}
	sort.Slice(ks, func(i, j int) bool { return q.less(ks[i], ks[j]) })
	return ks
}

func (ko keyOrder) values(q *query, m map[string]any) []any {
	out := []any{}
	for _, k := range ko.keys(q, m) {
		out = append(out, m[k])
	}
	return out
}

// fromPlain converts a query result back, ordering object keys by where the
// expression names them, then by the API's member order, then by name.
func (q *query) fromPlain(v any) any {
	switch x := v.(type) {
	case map[string]any:
		keys := make([]string, 0, len(x))
		for k := range x {
			keys = append(keys, k)
		}
		sort.Slice(keys, func(i, j int) bool { return q.less(keys[i], keys[j]) })
		o := newObject()
		for _, k := range keys {
			o.set(k, q.fromPlain(x[k]))
		}
		return o
	case []any:
		out := make([]any, len(x))
		for i, e := range x {
			out[i] = q.fromPlain(e)
		}
		return out
	case int:
		return float64(x)
	}
	return v
}

func (q *query) less(a, b string) bool {
	ra, aq := q.keyRank[a]
	rb, bq := q.keyRank[b]
	if aq && bq {
		return ra < rb
	}
	if aq != bq {
		return aq
	}
	pa, ap := apiOrder[a]
	pb, bp := apiOrder[b]
	if ap && bp {
		return pa < pb
	}
	if ap != bp {
		return ap
	}
	return a < b
}

// syntaxErrorText words a compile error of expr as Python's jmespath
// does (the AWS CLI's library): the message, the expression and a caret
// under the position. Parse errors other than an unexpected token keep
// the frame but not Python's list of the tokens it expected.
func syntaxErrorText(expr string, err error) string {
	var se parsing.SyntaxError
	if !errors.As(err, &se) {
		return err.Error()
	}
	msg := strings.TrimPrefix(se.Error(), "SyntaxError: ")
	at := min(max(se.Offset, 0), len(expr))
	switch {
	case expr == "":
		return "Invalid JMESPath expression: cannot be empty."
	case strings.HasPrefix(msg, "Unclosed delimiter: "):
		d := strings.TrimPrefix(msg, "Unclosed delimiter: ")
		pos := max(strings.LastIndex(expr[:at], d), 0)
		return fmt.Sprintf("Bad jmespath expression: Unclosed %s delimiter:\n%s\n%s^", d, expr, strings.Repeat(" ", pos))
	case strings.HasPrefix(msg, "Unknown char: "):
		c := strings.Trim(strings.TrimPrefix(msg, "Unknown char: "), "'")
		return fmt.Sprintf("Bad jmespath expression: Unknown token %s:\n%s\n%s^", c, expr, strings.Repeat(" ", at))
	case msg == "Incomplete expression" || at >= len(expr):
		return fmt.Sprintf("Invalid jmespath expression: Incomplete expression:\n\"%s\"\n%s^", expr, strings.Repeat(" ", len(expr)+1))
	}
	tok, typ := tokenAt(expr, at)
	return fmt.Sprintf("Unexpected token: %s: Parse error at column %d, token \"%s\" (%s), for expression:\n\"%s\"\n%s^",
		tok, at, tok, typ, expr, strings.Repeat(" ", at+1))
}

// tokenAt is the text of the JMESPath token that starts at i, and its type
// as Python's lexer names it.
func tokenAt(expr string, i int) (string, string) {
	rest := expr[i:]
	isDigit := func(c byte) bool { return '0' <= c && c <= '9' }
	n := 0
	switch c := rest[0]; {
	case c == '_' || isASCIILetter(c):
		for n < len(rest) && (rest[n] == '_' || isASCIILetter(rest[n]) || isDigit(rest[n])) {
			n++
		}
		return rest[:n], "UNQUOTED_IDENTIFIER"
	case isDigit(c) || (c == '-' && len(rest) > 1 && isDigit(rest[1])):
		n = 1
		for n < len(rest) && isDigit(rest[n]) {
			n++
		}
		return rest[:n], "NUMBER"
	}
	for _, op := range []struct{ text, typ string }{
		{"||", "OR"}, {"&&", "AND"}, {"==", "EQ"}, {"!=", "NE"}, {"<=", "LTE"}, {">=", "GTE"},
		{"[]", "FLATTEN"}, {"[?", "FILTER"}, {"[", "LBRACKET"}, {"]", "RBRACKET"},
		{"{", "LBRACE"}, {"}", "RBRACE"}, {"(", "LPAREN"}, {")", "RPAREN"}, {".", "DOT"},
		{",", "COMMA"}, {":", "COLON"}, {"*", "STAR"}, {"|", "PIPE"}, {"!", "NOT"},
		{"<", "LT"}, {">", "GT"}, {"@", "CURRENT"}, {"&", "EXPREF"},
	} {
		if strings.HasPrefix(rest, op.text) {
			return op.text, op.typ
		}
	}
	return rest[:1], "UNKNOWN"
}

var (
	// typeError is the library's message for an argument of the wrong
	// type, which quotes the argument whole, in Go syntax.
	typeError = regexp.MustCompile(`(?s)invalid type for: .*, expected: \[\]functions\.JpType\{(.*)\}$`)
	// arityError is the library's message for a wrong number of arguments.
	arityError = regexp.MustCompile(`^invalid arity, the function '([^']*)' expects (at most )?(\d+) arguments?( or more)? but (none|\d+) were supplied$`)
)

// queryErrorText words an error of evaluating --query on v as Python's
// jmespath does, but without the value it failed on: that value can be
// the whole answer, secret key and session token included, and stderr
// often ends up in a CI log. The answer's secrets are also removed from
// whatever else the message holds.
func (q *query) queryErrorText(err error, v any) string {
	msg := err.Error()
	if name, ok := strings.CutPrefix(msg, "unknown function: "); ok {
		msg = "Unknown function: " + name + "()"
	} else if m := arityError.FindStringSubmatch(msg); m != nil {
		n, _ := strconv.Atoi(m[3])
		got := m[5]
		if got == "none" {
			got = "0"
		}
		least := ""
		if m[4] != "" {
			least = "at least "
		}
		word := "arguments"
		if n == 1 {
			word = "argument"
		}
		msg = fmt.Sprintf("Expected %s%d %s for function %s(), received %s", least, n, word, m[1], got)
	} else if i := strings.Index(msg, "invalid type for: "); i >= 0 {
		want := ""
		if m := typeError.FindStringSubmatch(msg[i:]); m != nil {
			var types []string
			for _, t := range strings.Split(m[1], ", ") {
				// Python names typed arrays array-string, not array[string].
				t = strings.NewReplacer("[", "-", "]", "").Replace(strings.Trim(t, `"`))
				types = append(types, "'"+t+"'")
			}
			want = ", expected one of: [" + strings.Join(types, ", ") + "]"
		}
		in := ""
		if len(q.funcs) == 1 {
			in = "In function " + q.funcs[0] + "(), "
		}
		msg = msg[:i] + in + "invalid type for value: <not shown>" + want
	}
	if o, ok := v.(*object); ok {
		if c, ok := o.get("credentials"); ok {
			if c, ok := c.(*object); ok {
				for _, k := range []string{"secretAccessKey", "sessionToken"} {
					if s, ok := c.vals[k].(string); ok && s != "" {
						msg = strings.ReplaceAll(msg, s, redacted)
					}
				}
			}
		}
	}
	return msg
}
