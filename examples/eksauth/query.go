package main

import (
	"fmt"
	"sort"

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
