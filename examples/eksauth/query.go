package main

import (
	"fmt"
	"regexp"
	"sort"
	"strings"

	jmespath "github.com/jmespath-community/go-jmespath"
	"github.com/jmespath-community/go-jmespath/pkg/parsing"
)

// query is a compiled --query expression.
type query struct {
	expr jmespath.JMESPath
	// keyRank orders the keys of the objects a query builds ({a: x, b: y}):
	// the library returns Go maps, which have no order, while the AWS CLI
	// prints them in the order the expression names them.
	keyRank map[string]int
}

// compileQuery parses expr, reporting errors the way the AWS CLI does.
func compileQuery(expr string) (*query, error) {
	jp, err := jmespath.Compile(expr)
	if err != nil {
		return nil, &cliError{code: exitGeneral, msg: fmt.Sprintf("Bad value for --query %s: %v", expr, err)}
	}
	q := &query{expr: jp, keyRank: map[string]int{}}
	if ast, err := parsing.NewParser().Parse(expr); err == nil {
		q.collectKeys(ast)
	}
	return q, nil
}

func (q *query) collectKeys(n parsing.ASTNode) {
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
	got, err := q.expr.Search(toPlain(v))
	if err != nil {
		return nil, err
	}
	return q.fromPlain(got), nil
}

// toPlain converts the value model to what the JMESPath library walks.
func toPlain(v any) any {
	switch x := v.(type) {
	case *object:
		m := make(map[string]any, x.len())
		for _, k := range x.keys {
			m[k] = toPlain(x.vals[k])
		}
		return m
	case []any:
		out := make([]any, len(x))
		for i, e := range x {
			out[i] = toPlain(e)
		}
		return out
	}
	return v
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

// typeError is the library's message for an argument of the wrong type,
// which quotes the argument whole, in Go syntax.
var typeError = regexp.MustCompile(`(?s)invalid type for: .*, expected: \[\]functions\.JpType\{(.*)\}$`)

// queryErrorText words an error of evaluating --query on v without the
// value it failed on: that value can be the whole answer, secret key and
// session token included, and stderr often ends up in a CI log. The
// answer's secrets are also removed from whatever else the message holds.
func queryErrorText(err error, v any) string {
	msg := err.Error()
	if i := strings.Index(msg, "invalid type for: "); i >= 0 {
		want := ""
		if m := typeError.FindStringSubmatch(msg[i:]); m != nil {
			var types []string
			for _, t := range strings.Split(m[1], ", ") {
				types = append(types, "'"+strings.Trim(t, `"`)+"'")
			}
			want = ", expected one of: [" + strings.Join(types, ", ") + "]"
		}
		msg = msg[:i] + "invalid type for value: <not shown>" + want
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
