package main

import (
	"sort"
	"strings"
)

// writeText renders v as the AWS CLI's text output: each object's scalar
// members tab-separated on one line in sorted key order (prefixed by the
// upper-cased member name it came from), then its nested members, sorted.
func writeText(b *strings.Builder, v any) {
	textValue(b, v, "", nil)
}

func textValue(b *strings.Builder, v any, identifier string, scalarKeys []string) {
	switch x := v.(type) {
	case *object:
		textObject(b, x, identifier, scalarKeys)
	case []any:
		textList(b, x, identifier)
	default:
		b.WriteString(pyStr(v))
		b.WriteByte('\n')
	}
}

func textList(b *strings.Builder, list []any, identifier string) {
	if len(list) == 0 {
		return
	}
	hasObj, hasList := false, false
	for _, e := range list {
		switch e.(type) {
		case *object:
			hasObj = true
		case []any:
			hasList = true
		}
	}
	switch {
	case hasObj:
		keys := allScalarKeys(list)
		for _, e := range list {
			textValue(b, e, identifier, keys)
		}
	case hasList:
		var scalars, rest []any
		for _, e := range list {
			if isScalar(e) {
				scalars = append(scalars, e)
			} else {
				rest = append(rest, e)
			}
		}
		if len(scalars) > 0 {
			textScalarList(b, scalars, identifier)
		}
		for _, e := range rest {
			textValue(b, e, identifier, nil)
		}
	default:
		textScalarList(b, list, identifier)
	}
}

func textScalarList(b *strings.Builder, list []any, identifier string) {
	if identifier != "" {
		for _, e := range list {
			b.WriteString(strings.ToUpper(identifier))
			b.WriteByte('\t')
			b.WriteString(pyStr(e))
			b.WriteByte('\n')
		}
		return
	}
	parts := make([]string, len(list))
	for i, e := range list {
		parts[i] = pyStr(e)
	}
	b.WriteString(strings.Join(parts, "\t"))
	b.WriteByte('\n')
}

func textObject(b *strings.Builder, o *object, identifier string, scalarKeys []string) {
	var scalars []string
	type pair struct {
		key string
		val any
	}
	var nested []pair
	if scalarKeys == nil {
		for _, k := range o.sortedKeys() {
			v := o.vals[k]
			if isScalar(v) {
				scalars = append(scalars, pyStr(v))
			} else {
				nested = append(nested, pair{k, v})
			}
		}
	} else {
		in := map[string]bool{}
		for _, k := range scalarKeys {
			in[k] = true
			if v, ok := o.vals[k]; ok {
				scalars = append(scalars, pyStr(v))
			} else {
				scalars = append(scalars, "")
			}
		}
		for _, k := range o.sortedKeys() {
			if !in[k] {
				nested = append(nested, pair{k, o.vals[k]})
			}
		}
	}
	if len(scalars) > 0 {
		if identifier != "" {
			scalars = append([]string{strings.ToUpper(identifier)}, scalars...)
		}
		b.WriteString(strings.Join(scalars, "\t"))
		b.WriteByte('\n')
	}
	for _, p := range nested {
		textValue(b, p.val, p.key, nil)
	}
}

// allScalarKeys is the sorted union of the scalar members of the objects
// in list.
func allScalarKeys(list []any) []string {
	seen := map[string]bool{}
	for _, e := range list {
		if o, ok := e.(*object); ok {
			for _, k := range o.keys {
				if isScalar(o.vals[k]) {
					seen[k] = true
				}
			}
		}
	}
	keys := make([]string, 0, len(seen))
	for k := range seen {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
