package jsonscan_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"reflect"
	"testing"

	"github.com/podidentity/podidentity/internal/jsonscan"
)

// FuzzFirst checks First against the first Decode of a json.Decoder: the
// same documents are valid, the value's bytes are the decoded value, and
// Members sees the members the decoder sees (the last duplicate winning).
func FuzzFirst(f *testing.F) {
	for _, s := range []string{
		`{}`, `[]`, `{"a":1}`, `{"a":"x\"y\\","b":[1,2,{"c":null}]} trailing`, ` {"a" : true , "b":false}`,
		`{"a":-0.5e+3}`, `{"a":01}`, `{"a":1.}`, `{"a":"\u00e9\ud83d\ude00"}`, `{"\u0061":2,"a":3}`, `[1,]`, `{"a":1,}`,
		`{"a":tru}`, `{"a":"` + "\x01" + `"}`, `{"a":"\q"}`, `[[[[]]]]`, `{"a":{"b":{"c":[]}}}`, "{\"a\":\"\xff\"}",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, doc []byte) {
		v, err := jsonscan.First(doc)
		dec := json.NewDecoder(bytes.NewReader(doc))
		dec.UseNumber()
		var want any
		wantErr := dec.Decode(&want)
		if errors.Is(err, jsonscan.ErrEmpty) {
			if wantErr != io.EOF {
				t.Fatalf("ErrEmpty, but the decoder says %v", wantErr)
			}
			return
		}
		if err == nil && (v.Kind != jsonscan.Object && v.Kind != jsonscan.Array) {
			return // a scalar's end depends on what follows; not compared
		}
		if (err == nil) != (wantErr == nil) {
			t.Fatalf("First error %v, decoder error %v", err, wantErr)
		}
		if err != nil {
			return
		}
		var got any
		d2 := json.NewDecoder(bytes.NewReader(v.Raw))
		d2.UseNumber()
		if err := d2.Decode(&got); err != nil || !reflect.DeepEqual(got, want) {
			t.Fatalf("value %q decodes to %v (%v), want %v", v.Raw, got, err, want)
		}
		if m, ok := want.(map[string]any); ok {
			seen := map[string]any{}
			jsonscan.Members(v, func(name []byte, mv jsonscan.Value) {
				var x any
				d := json.NewDecoder(bytes.NewReader(mv.Raw))
				d.UseNumber()
				if err := d.Decode(&x); err != nil {
					t.Fatalf("member %q: %v", name, err)
				}
				if mv.Kind == jsonscan.String {
					if s := jsonscan.Str(mv); s != x {
						t.Fatalf("Str = %q, want %q", s, x)
					}
				}
				seen[string(name)] = x
			})
			if !reflect.DeepEqual(seen, m) {
				t.Fatalf("members %v, want %v", seen, m)
			}
		}
	})
}
