package main

import (
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/podidentity/podidentity/eksauth"
)

// The formatters work on a small JSON-like value model that keeps the key
// order of objects, because the AWS CLI prints members in the API's order
// (json, yaml) and sorts them only where it documents so (text, table).
//
// A value is one of: nil, string, float64, bool, []any, *object, pyDatetime.

// pyDatetime is a timestamp the AWS CLI holds as a Python datetime rather
// than as a string: only the sample response of --generate-cli-skeleton
// output has one. json prints it with its isoformat() ("T"), text, table
// and yaml with str() (" ").
type pyDatetime string

func (d pyDatetime) str() string { return strings.Replace(string(d), "T", " ", 1) }

// object is a JSON object that remembers the order of its keys.
type object struct {
	keys []string
	vals map[string]any
}

func newObject() *object { return &object{vals: map[string]any{}} }

// set adds or replaces key, keeping the first position of a key.
func (o *object) set(key string, v any) {
	if _, ok := o.vals[key]; !ok {
		o.keys = append(o.keys, key)
	}
	o.vals[key] = v
}

func (o *object) get(key string) (any, bool) {
	v, ok := o.vals[key]
	return v, ok
}

func (o *object) len() int { return len(o.keys) }

// sortedKeys returns the keys in code-point order, as Python's sorted().
func (o *object) sortedKeys() []string {
	return slices.Sorted(slices.Values(o.keys))
}

// isoTime formats t as Python's datetime.isoformat() does for an aware UTC
// datetime: microseconds only when non-zero, offset as +00:00. The AWS CLI v2
// prints timestamps this way (cli_timestamp_format = iso8601).
func isoTime(t time.Time) string {
	t = t.UTC()
	if us := t.Nanosecond() / 1000; us != 0 {
		return t.Format("2006-01-02T15:04:05") + fmt.Sprintf(".%06d+00:00", us)
	}
	return t.Format("2006-01-02T15:04:05") + "+00:00"
}

// outputValue turns the operation's output into the value the CLI prints:
// members in the API's order, absent members left out, timestamps as
// ISO 8601 strings.
//
// With wire set (the profile's cli_timestamp_format = wire), the expiration
// is the number of epoch seconds the service sent instead.
func outputValue(out *eksauth.AssumeRoleForPodIdentityOutput, wire bool) *object {
	o := newObject()
	if s := out.Subject; s != nil {
		sub := newObject()
		setStr(sub, "namespace", s.Namespace)
		setStr(sub, "serviceAccount", s.ServiceAccount)
		o.set("subject", sub)
	}
	setStr(o, "audience", out.Audience)
	if p := out.PodIdentityAssociation; p != nil {
		a := newObject()
		setStr(a, "associationArn", p.AssociationArn)
		setStr(a, "associationId", p.AssociationId)
		o.set("podIdentityAssociation", a)
	}
	if u := out.AssumedRoleUser; u != nil {
		a := newObject()
		setStr(a, "arn", u.Arn)
		setStr(a, "assumeRoleId", u.AssumeRoleId)
		o.set("assumedRoleUser", a)
	}
	if c := out.Credentials; c != nil {
		a := newObject()
		setStr(a, "sessionToken", c.SessionToken)
		setStr(a, "secretAccessKey", c.SecretAccessKey)
		setStr(a, "accessKeyId", c.AccessKeyId)
		if c.Expiration != nil {
			if wire {
				a.set("expiration", float64(c.Expiration.UnixNano())/1e9)
			} else {
				a.set("expiration", isoTime(*c.Expiration))
			}
		}
		o.set("credentials", a)
	}
	return o
}

func setStr(o *object, key string, p *string) {
	if p != nil {
		o.set(key, *p)
	}
}

// apiOrder ranks every member name of the output shape, so that objects
// rebuilt after a JMESPath query (whose library returns unordered Go maps)
// come back in the API's order.
var apiOrder = map[string]int{
	"subject": 0, "namespace": 1, "serviceAccount": 2,
	"audience":               3,
	"podIdentityAssociation": 4, "associationArn": 5, "associationId": 6,
	"assumedRoleUser": 7, "arn": 8, "assumeRoleId": 9,
	"credentials": 10, "sessionToken": 11, "secretAccessKey": 12, "accessKeyId": 13, "expiration": 14,
}

// pyStr renders a scalar as Python's str() does, which is what the text and
// table formats print: True/False, None, integral numbers without ".0" when
// they came from an int (JMESPath functions such as length()).
func pyStr(v any) string {
	switch x := v.(type) {
	case nil:
		return "None"
	case string:
		return x
	case bool:
		if x {
			return "True"
		}
		return "False"
	case float64:
		return pyNumber(x)
	case pyDatetime:
		return x.str()
	default:
		return ""
	}
}

// pyNumber formats a number as Python's repr of the int or float that
// json.loads would have produced for it.
func pyNumber(f float64) string {
	if f == math.Trunc(f) && math.Abs(f) < 1e16 {
		return strconv.FormatInt(int64(f), 10)
	}
	if math.IsInf(f, 1) {
		return "Infinity"
	}
	if math.IsInf(f, -1) {
		return "-Infinity"
	}
	if math.IsNaN(f) {
		return "NaN"
	}
	// Python's repr switches to exponent form at 1e16 and below 1e-4, and
	// writes exponents with a sign and at least two digits: 1e+16, 1e-05.
	if abs := math.Abs(f); abs >= 1e16 || abs < 1e-4 {
		mant, exp, _ := strings.Cut(strconv.FormatFloat(f, 'e', -1, 64), "e")
		sign, digits := exp[:1], exp[1:]
		if len(digits) < 2 {
			digits = "0" + digits
		}
		return mant + "e" + sign + digits
	}
	return strconv.FormatFloat(f, 'f', -1, 64)
}

// isScalar reports whether v is neither a list nor an object.
func isScalar(v any) bool {
	switch v.(type) {
	case []any, *object:
		return false
	}
	return true
}

// truthy is Python's truth value of v, which decides whether the table
// format prints anything.
func truthy(v any) bool {
	switch x := v.(type) {
	case nil:
		return false
	case string:
		return x != ""
	case bool:
		return x
	case float64:
		return x != 0
	case []any:
		return len(x) > 0
	case *object:
		return x.len() > 0
	}
	return true
}
